//go:build tools

// Package tools pins the Pulumi CLI as a dependency of this wrapper module.
//
// The CLI's own go.mod has `replace` lines, so `go install ...@version` refuses
// it. This module requires github.com/pulumi/pulumi/pkg/v3 (and sdk/v3) at
// exactly the version of the npm `pulumi` launcher, repeats the fork replace
// of upstream, and tools/offline/toolchain.sh builds the CLI from here with
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
