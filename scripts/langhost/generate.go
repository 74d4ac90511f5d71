package main

// GeneratePackage makes `pulumi package gen-sdk --language nodejs` work with
// this host: upstream's Node.js generator (pkg/v3/codegen/nodejs), called the
// way upstream's host calls it (see ../sdkgen/generate.go).

import (
	"context"

	"pulumi-engine-wrapper/sdkgen"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func (h *nodeHost) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest) (*pulumirpc.GeneratePackageResponse, error) {
	return sdkgen.Generate("nodejs", req)
}
