// Package tools runs the documentation generator; `make generate` calls
// `go generate` here so docs/ is always produced by the pinned tfplugindocs.
package tools

//go:generate go tool tfplugindocs generate --provider-dir .. --provider-name crosscloud --rendered-provider-name crosscloud
