// Package sdkgen answers the language host's GeneratePackage RPC, the one
// `pulumi package gen-sdk` calls (pkg/cmd/pulumi/packages.GenSDK in v3.248.0
// asks the language host of the chosen language; the CLI has no generator of
// its own). It does what upstream's hosts do in their GeneratePackage (e.g.
// sdk/python/cmd/pulumi-language-python/main.go): bind the schema through the
// engine's schema loader, call pkg/codegen/<language>.GeneratePackage and
// write the files under the requested directory. Only the upstream hosts'
// modules are refused by the Go module proxy here; their generators (pkg/v3)
// are not, so the SDKs are upstream's own output at the engine's release.
//
// It is compiled by scripts/ensure-pulumi inside the engine's wrapper module
// (import path pulumi-engine-wrapper/sdkgen).
package sdkgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Languages lists what Generate supports (dotnet's generator lives in
// pulumi/pulumi-dotnet, whose module the proxy refuses).
var Languages = []string{"nodejs", "python", "go"}

// Generate writes the SDK for language into req.Directory.
func Generate(language string, req *pulumirpc.GeneratePackageRequest) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	cached := schema.NewCachedLoader(loader)

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, cached, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
	}

	tool := "pulumi-language-" + language
	var files map[string][]byte
	switch language {
	case "python":
		files, err = python.GeneratePackage(tool, pkg, req.GetExtraFiles(), cached)
	case "nodejs":
		files, err = nodejs.GeneratePackage(tool, pkg, req.GetExtraFiles(), req.GetLocalDependencies(), req.GetLocal(), cached)
	case "go":
		files, err = gogen.GeneratePackage(tool, pkg, req.GetLocalDependencies())
	default:
		return nil, fmt.Errorf("%s: no SDK generator for language %q (have %v)", tool, language, Languages)
	}
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		out := filepath.Join(req.GetDirectory(), name)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return nil, fmt.Errorf("could not create %s: %w", filepath.Dir(out), err)
		}
		if err := os.WriteFile(out, data, 0o600); err != nil {
			return nil, fmt.Errorf("could not write %s: %w", out, err)
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
}
