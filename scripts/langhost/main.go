// pulumi-language-nodejs: a Node.js language host for the Pulumi engine.
//
// Why this exists: the upstream host (module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not
// served by the Go module proxy these machines can reach (every version answers
// 403 "This module version is not available"), while the engine
// (pkg/v3) and the SDK's RPC definitions (sdk/v3) are. This program implements
// the part of the LanguageRuntime gRPC service that `pulumi preview/up/refresh/
// destroy` use for a Node.js program: it runs the program with the
// @pulumi/pulumi SDK's own `cmd/run` launcher, passing the monitor and engine
// addresses, project, stack, config and secret-config keys exactly the way the
// SDK's launcher expects them (see @pulumi/pulumi/cmd/run/index.js usage).
// Everything else is left Unimplemented, which the engine tolerates (it falls
// back, e.g. from GetRequiredPackages to loading plugins on demand).
//
// It is built by scripts/ensure-pulumi in the same wrapper module as the
// engine, against sdk/v3 at the engine's release.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set with -ldflags "-X main.version=v3.x.y" to the engine's release.
var version = "v0.0.0-dev"

// The SDK's launcher exits with this code after it has already shown the user
// an actionable message (nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitAfterUserActionableMessage = 32

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func main() {
	engineAddress := lastPositionalArg(os.Args[1:])
	host := &nodeHost{engineAddress: engineAddress}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

// lastPositionalArg returns the engine address. The engine passes it as the
// last argument, after optional flags: --logtostderr, -v=N, --tracing <url>.
func lastPositionalArg(args []string) string {
	positional := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--tracing" || a == "-tracing":
			i++ // skip its value
		case strings.HasPrefix(a, "-"):
		default:
			positional = a
		}
	}
	return positional
}

func (h *nodeHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version, "v")}, nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir := req.GetInfo().GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("could not find node on the $PATH: install Node.js")
	}
	runPath, err := resolveRunScript(nodeBin, programDir)
	if err != nil {
		return nil, err
	}
	args := launcherArgs(runPath, h.engineAddress, programDir, req)
	env, err := launcherEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	return runResponse(cmd.Run()), nil
}

// resolveRunScript finds @pulumi/pulumi/cmd/run the way Node would from the
// program's directory, so hoisted or nested installs both work.
func resolveRunScript(nodeBin, programDir string) (string, error) {
	cmd := exec.Command(nodeBin, "-e", "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = programDir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed in %s (run npm install): %s",
			programDir, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

func launcherArgs(runPath, engineAddress, programDir string, req *pulumirpc.RunRequest) []string {
	args := []string{runPath}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram()
	}
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

func launcherEnv(req *pulumirpc.RunRequest) ([]string, error) {
	config, err := json.Marshal(orEmpty(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys, err := json.Marshal(orEmptySlice(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, fmt.Errorf("serializing secret config keys: %w", err)
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	// Runtime options from Pulumi.yaml (runtime.options): typescript defaults to true.
	typescript := "true"
	if opts := req.GetInfo().GetOptions(); opts != nil {
		if v, ok := opts.AsMap()["typescript"].(bool); ok && !v {
			typescript = "false"
		}
		if p, ok := opts.AsMap()["tsconfig"].(string); ok && p != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
		}
		if a, ok := opts.AsMap()["nodeargs"].(string); ok && a != "" {
			env = append(env, "NODE_OPTIONS="+strings.TrimSpace(os.Getenv("NODE_OPTIONS")+" "+a))
		}
	}
	return append(env, "PULUMI_NODEJS_TYPESCRIPT="+typescript), nil
}

// runResponse maps the launcher's exit to the engine's contract: a program
// error is reported in RunResponse.Error (not as an RPC error), and Bail when
// the program already told the user what went wrong.
func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			if status.ExitStatus() == exitAfterUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", status.ExitStatus())}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
