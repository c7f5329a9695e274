//go:build tools

// Package tools pins the Traefik command as a dependency of this wrapper
// module. It is never compiled (build tag "tools"; a main package cannot be
// imported); it only tells `go mod tidy` what to keep. Build with:
//
//	CGO_ENABLED=0 go build -trimpath \
//	  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v3.6.25" \
//	  -o traefik github.com/traefik/traefik/v3/cmd/traefik
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
