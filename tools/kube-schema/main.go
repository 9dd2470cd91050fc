// kube-schema runs two steps of pulumi-kubernetes' code generator, `pulumi-gen-kubernetes` (v4.32.0,
// provider/cmd/pulumi-gen-kubernetes), with the provider's own pkg/gen code, without that binary's other SDK
// generators (its .NET one comes from a module the Go module proxy refuses):
//
//	kube-schema schema <swagger.json> <schema.json to write>
//	kube-schema python <schema.json> <python-templates folder> <version> <folder to write the SDK into>
//
// `schema` writes the provider's schema.json from the Kubernetes OpenAPI spec, as `pulumi-gen-kubernetes schema`
// does for provider/cmd/pulumi-resource-kubernetes/schema.json. The older specs it merges in must lie beside
// swagger.json as swagger-v1.N.0.json, where upstream downloads them when they are missing; this never downloads.
//
// `python` writes the Python SDK from a schema as `pulumi-gen-kubernetes python` does (the published
// pulumi_kubernetes wheel is that output): tests/engine/test_kubernetes_plugin.py compares the two to show that
// the regenerated schema is faithful.
//
// A function whose comment says it mirrors one in main.go or merge.go is that function of
// provider/cmd/pulumi-gen-kubernetes at v4.32.0, unchanged but for what its comment says.
//
// It is not a module of its own: scripts/pulumi-engine copies it into the provider module it builds (as
// cmd/mcp-kube-schema), so that it links that provider's pkg/gen.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/imdario/mergo"
	"github.com/pulumi/pulumi/pkg/v3/codegen"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/gen"
)

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 3 && args[0] == "schema":
		pkgSpec := generateSchema(args[1])
		// As upstream's mustWritePulumiSchema writes provider/cmd/pulumi-resource-kubernetes/schema.json: without
		// a version (the provider's generate.go stamps it into schema-embed.json).
		schemaJSON, err := makeJSONString(pkgSpec)
		if err != nil {
			panic(fmt.Errorf("marshaling Pulumi schema: %w", err))
		}
		mustWriteFile(filepath.Dir(args[2]), filepath.Base(args[2]), schemaJSON)
	case len(args) == 5 && args[0] == "python":
		writePythonClient(readSchema(args[1], args[3]), args[4], args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: kube-schema schema <swagger.json> <schema.json to write>\n"+
			"       kube-schema python <schema.json> <python-templates folder> <version> <SDK folder to write>")
		os.Exit(2)
	}
}

// generateSchema mirrors generateSchema in main.go, except that a missing legacy spec is an error instead of a
// download (upstream's DownloadFile skips files that exist).
func generateSchema(swaggerPath string) schema.PackageSpec {
	swagger, err := os.ReadFile(swaggerPath)
	if err != nil {
		panic(err)
	}

	swaggerDir := filepath.Dir(swaggerPath)

	// Upstream merges these older specs under the current one, so that APIs removed from Kubernetes since
	// (extensions/v1beta1, apps/v1beta1 and v1beta2, flowcontrol/v1beta2, ...) stay in the SDKs.
	filenameFmt := "swagger-v1.%s.0.json"
	for _, v := range []string{"17", "18", "19", "20", "26", "28", "30", "31"} {
		legacySwaggerPath := filepath.Join(swaggerDir, fmt.Sprintf(filenameFmt, v))
		legacySwagger, err := os.ReadFile(legacySwaggerPath)
		if err != nil {
			panic(err)
		}
		swagger = mergeSwaggerSpecs(legacySwagger, swagger)
	}

	var schemaMap map[string]any
	err = json.Unmarshal(swagger, &schemaMap)
	if err != nil {
		panic(err)
	}

	// Generate schema
	return gen.PulumiSchema(
		schemaMap,
		gen.WithResourceOverlays(gen.ResourceOverlays),
		gen.WithTypeOverlays(gen.TypeOverlays),
	)
}

// mergeSwaggerSpecs mirrors mergeSwaggerSpecs in merge.go.
func mergeSwaggerSpecs(legacyBytes, currentBytes []byte) []byte {
	var legacyObj, newObj map[string]any
	err := json.Unmarshal(legacyBytes, &legacyObj)
	if err != nil {
		panic(err)
	}
	err = json.Unmarshal(currentBytes, &newObj)
	if err != nil {
		panic(err)
	}
	err = mergo.Merge(&legacyObj, newObj, mergo.WithOverride)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(legacyObj)
	if err != nil {
		panic(err)
	}

	return b
}

// readSchema mirrors readSchema in main.go.
func readSchema(schemaPath string, version string) *schema.Package {
	// Read in, decode, and import the schema.
	schemaBytes, err := os.ReadFile(schemaPath)
	if err != nil {
		panic(err)
	}

	var pkgSpec schema.PackageSpec
	if err = json.Unmarshal(schemaBytes, &pkgSpec); err != nil {
		panic(err)
	}
	pkgSpec.Version = version

	pkg, err := schema.ImportSpec(pkgSpec, nil, schema.ValidationOptions{})
	if err != nil {
		panic(err)
	}
	return pkg
}

// resourcesToFilterFromTemplate mirrors the variable of that name in main.go.
var resourcesToFilterFromTemplate = codegen.NewStringSet(
	"kubernetes:helm.sh/v3:Release",
	"kubernetes:helm.sh/v4:Chart",
	"kubernetes:kustomize/v2:Directory",
	"kubernetes:yaml/v2:ConfigFile",
	"kubernetes:yaml/v2:ConfigGroup",
)

// writePythonClient mirrors writePythonClient in main.go.
func writePythonClient(pkg *schema.Package, outdir string, templateDir string) {
	resources, err := pythongen.LanguageResources("pulumigen", pkg)
	if err != nil {
		panic(err)
	}

	templateResources := gen.TemplateResources{}
	for tok, resource := range resources {
		if resourcesToFilterFromTemplate.Has(tok) {
			continue
		}
		if resource.Name == "CustomResourceDefinition" { // Use manual overlay in yaml.tmpl
			continue
		}
		if strings.HasSuffix(resource.Name, "Patch") {
			continue
		}
		r := gen.TemplateResource{
			Name:    resource.Name,
			Package: resource.Package,
			Token:   resource.Token,
		}
		templateResources.Resources = append(templateResources.Resources, r)
	}
	sort.Slice(templateResources.Resources, func(i, j int) bool {
		return templateResources.Resources[i].Token < templateResources.Resources[j].Token
	})

	overlays := map[string][]byte{
		"apiextensions/CustomResource.py": mustLoadFile(
			filepath.Join(templateDir, "apiextensions", "CustomResource.py"),
		),
		"apiextensions/CustomResourcePatch.py": mustLoadFile(
			filepath.Join(templateDir, "apiextensions", "CustomResourcePatch.py"),
		),
		"helm/v3/helm.py":        mustLoadFile(filepath.Join(templateDir, "helm", "v3", "helm.py")),
		"kustomize/kustomize.py": mustLoadFile(filepath.Join(templateDir, "kustomize", "kustomize.py")),
		"yaml/yaml.py": mustRenderTemplate(
			filepath.Join(templateDir, "yaml", "yaml.tmpl"),
			templateResources,
		),
	}

	files, err := pythongen.GeneratePackage("pulumigen", pkg, overlays, nil)
	if err != nil {
		panic(err)
	}

	mustWriteFiles(outdir, files)
}

// mustLoadFile mirrors mustLoadFile in main.go.
func mustLoadFile(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

// mustRenderTemplate mirrors mustRenderTemplate in main.go.
func mustRenderTemplate(path string, resources any) []byte {
	b := mustLoadFile(path)
	t := template.Must(template.New("resources").Parse(string(b)))

	var buf bytes.Buffer
	err := t.Execute(&buf, resources)
	if err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// mustWriteFiles mirrors mustWriteFiles in main.go.
func mustWriteFiles(rootDir string, files map[string][]byte) {
	for filename, contents := range files {
		mustWriteFile(rootDir, filename, contents)
	}
}

// mustWriteFile mirrors mustWriteFile in main.go.
func mustWriteFile(rootDir, filename string, contents []byte) {
	outPath := filepath.Join(rootDir, filename)

	if err := os.MkdirAll(filepath.Dir(outPath), 0755); err != nil {
		panic(err)
	}
	err := os.WriteFile(outPath, contents, 0644)
	if err != nil {
		panic(err)
	}
}

// makeJSONString mirrors makeJSONString in main.go.
func makeJSONString(v any) ([]byte, error) {
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", "    ")
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
