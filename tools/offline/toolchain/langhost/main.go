// pulumi-language-nodejs: swarmlab's own minimal Node.js language host.
//
// The Pulumi CLI runs every program through a "language host" plugin: a small
// gRPC server that the engine starts, asks for the program's dependencies, and
// finally asks to Run the program. The official Node.js host cannot be built
// from the Go module proxy available here, so this file implements the part of
// pulumirpc.LanguageRuntimeServer that the CLI and the Automation API need to
// run a Node.js or TypeScript program. Everything else (code generation,
// templates, plugins written in Node.js) answers "unimplemented".
//
// The heavy lifting is done by the @pulumi/pulumi npm package: its
// cmd/run script connects to the engine and runs the program (through ts-node
// for TypeScript). This host only translates a RunRequest into that script's
// command line and environment, the same way the official host does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is reported by GetPluginInfo; tools/offline/toolchain.sh sets it with
// -ldflags "-X main.version=<the CLI version>".
var version = "3.259.0"

// bailExitCode is the exit code @pulumi/pulumi's run script uses when it has
// already shown the user an actionable error: the engine then must stop
// without printing anything more (RunResponse.Bail).
const bailExitCode = 32

func main() {
	// The engine may pass flags (older CLIs passed -typescript, -root, ...);
	// accept and ignore them. The last positional argument is the engine's
	// gRPC address.
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint (passed on to the program)")
	flag.Bool("typescript", true, "obsolete, read from Pulumi.yaml runtime options")
	flag.String("root", "", "obsolete")
	flag.String("tsconfig", "", "obsolete")
	flag.String("nodeargs", "", "obsolete")
	flag.String("packagemanager", "", "obsolete")
	flag.Parse()

	host := &nodeHost{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		host.engineAddress = args[len(args)-1]
	}

	// Stop serving on Ctrl-C, or when the engine goes away (health check),
	// so that no orphan host survives a killed CLI.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if host.engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, host.engineAddress, 5*time.Minute, stop); err != nil {
			fatalf("could not start the health check of the engine: %v", err)
		}
	}
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start the language host gRPC server: %v", err)
	}

	// Plugin protocol: the first line on stdout is the port we listen on.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fatalf("language host stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

// nodeHost implements the language runtime service. Methods we do not need
// come from the embedded Unimplemented server.
type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string // set from the command line, or by Handshake
	tracing       string
}

// Handshake is how newer engines (and attach/debug mode) give us their address.
func (h *nodeHost) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins / GetRequiredPackages: we report nothing. The engine then
// loads provider plugins on demand when the program registers a resource, and
// never tries to download plugins for packages that the program does not use
// (get.pulumi.com is not reachable here).
func (h *nodeHost) GetRequiredPlugins(ctx context.Context, _ *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *nodeHost) GetRequiredPackages(ctx context.Context, _ *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// programDir returns the program directory of a request, "." if unknown.
func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	if fallback != "" {
		return fallback
	}
	return "."
}

// InstallDependencies runs `npm install` when node_modules is missing, and
// does nothing otherwise. Output is streamed back to the engine.
func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := programDir(req.GetInfo(), req.GetDirectory())
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		fmt.Fprintf(stdout, "node_modules already present in %s: nothing to install\n", dir)
		return closer.Close()
	}
	fmt.Fprintf(stdout, "Installing dependencies in %s with npm install...\n", dir)
	cmd := exec.CommandContext(server.Context(), "npm", "install")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s failed: %w", dir, err)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
	return closer.Close()
}

// nodeOptions are the `runtime.options` of Pulumi.yaml that matter here.
type nodeOptions struct {
	typescript bool     // run .ts sources through ts-node (default true)
	tsconfig   string   // tsconfig file for ts-node
	nodeargs   []string // extra arguments for node itself
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	opts := nodeOptions{typescript: true}
	raw := info.GetOptions().AsMap()
	if v, ok := raw["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("runtime option typescript must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := raw["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option tsconfig must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := raw["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option nodeargs must be a string")
		}
		opts.nodeargs = strings.Fields(s) // no shell quoting: keep node args simple
	}
	return opts, nil
}

// Run executes the program: node <@pulumi/pulumi/cmd/run> --monitor ... <entry point> <args>.
// A failing program is reported in RunResponse.Error (not as an RPC error).
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("no engine address: the engine must pass it on the command line or call Handshake")
	}
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runScript, err := resolveRunScript(nodeBin, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	// Command line of the run script (see @pulumi/pulumi/cmd/run/index.js).
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runScript)
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("stack", req.GetStack())
	flagArg("pwd", dir)
	flagArg("root-directory", info.GetRootDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("query-mode", strconv.FormatBool(req.GetQueryMode()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "." // the program directory: package.json "main" or index.{js,ts}
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// Environment: config and the list of secret keys as JSON, TypeScript settings.
	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration: " + err.Error()}, nil
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize secret keys: " + err.Error()}, nil
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+cfg,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(nodeBin, args...)
	cmd.Env = env
	// Wrap our stdout/stderr: node may switch a file descriptor it is given
	// directly to non-blocking mode, which would break our own writes.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()

	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == bailExitCode:
		// The program already printed a good error message: stop quietly.
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run node): %v", err),
		}, nil
	}
}

// resolveRunScript finds @pulumi/pulumi/cmd/run with Node's own module
// resolution, starting in the program directory (works with hoisted and
// symlinked node_modules alike).
func resolveRunScript(nodeBin, dir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	cmd := exec.Command(nodeBin, "-e", `console.log(require.resolve("@pulumi/pulumi/cmd/run"))`)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK (@pulumi/pulumi) is not installed in %s: "+
			"run npm install there (%v)", dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// configJSON turns the engine's config map ("<namespace>:<name>" -> value)
// into the JSON object the run script expects. Like the official host we use
// the old "<namespace>:config:<name>" key form, which every @pulumi/pulumi
// version understands.
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// About reports which node runs the programs (`pulumi about`).
func (h *nodeHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.Command(nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version failed: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: nodeBin, Version: strings.TrimSpace(string(out))}, nil
}

// GetProgramDependencies lists the direct dependencies of package.json with
// the version installed in node_modules (or the requested range if absent).
func (h *nodeHost) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("could not read package.json: %w", err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("could not parse package.json: %w", err)
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
		for name, want := range deps {
			ver := want
			var installed struct {
				Version string `json:"version"`
			}
			if b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json")); err == nil &&
				json.Unmarshal(b, &installed) == nil && installed.Version != "" {
				ver = installed.Version
			}
			resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: name, Version: ver})
		}
	}
	return resp, nil
}

// RuntimeOptionsPrompts: no questions to ask during `pulumi new`.
func (h *nodeHost) RuntimeOptionsPrompts(ctx context.Context, _ *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
