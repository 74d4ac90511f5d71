// pulumi-language-python / pulumi-language-go for `pulumi package gen-sdk`
// only: a language host that serves GetPluginInfo and GeneratePackage (see
// ../generate.go for why it exists). Running a Python or Go program is NOT
// implemented (the engine gets Unimplemented and says so); the language is
// fixed at build time with -ldflags "-X main.language=python".
package main

import (
	"context"
	"fmt"
	"os"

	"pulumi-engine-wrapper/sdkgen"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

var (
	language = "python"
	version  = "v0.0.0-dev"
)

type genHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

func (genHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (genHost) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest) (*pulumirpc.GeneratePackageResponse, error) {
	return sdkgen.Generate(language, req)
}

func main() {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, genHost{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-%s: could not start the RPC server: %v\n", language, err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-%s: %v\n", language, err)
		os.Exit(1)
	}
}
