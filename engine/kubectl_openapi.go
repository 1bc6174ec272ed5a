package engine

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi/cached"
	"k8s.io/client-go/openapi3"
	"k8s.io/kube-openapi/pkg/spec3"
	kapply "k8s.io/kubectl/pkg/cmd/apply"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	kopenapi "k8s.io/kubectl/pkg/util/openapi"
	"k8s.io/kubectl/pkg/validation"
)

// kubectl parses a group version's OpenAPI v3 document (a megabyte of JSON for api/v1) every
// time it needs it, and `apply -f` needs it three times per run: once to learn that the
// server supports fieldValidation (so the manifest is validated by the server, not by the
// client), and twice in the patcher for the strategic merge patch's metadata. A real
// kubectl against a real apiserver does the same; in-process, with one kubectl per
// keystroke and per student, it was two thirds of the CPU of an apply.
//
// A document published under a hashed URL ("/openapi/v3/api/v1?hash=…", as the apiserver
// publishes them) never changes: the hash is the SHA-512 of its bytes. So the parsed
// documents are shared, read-only, by every run of every session, keyed by that URL and
// stored only once the bytes were checked against the hash (a server cannot plant a
// document under another's hash). Everything else (no hash, a mismatch, an error) takes
// kubectl's own path unchanged.

// maxSharedOpenAPIDocs bounds the shared documents: a server publishing ever new ones gets
// kubectl's private parse beyond it.
const maxSharedOpenAPIDocs = 64

// openAPIDocs is the process-wide cache. Its entries are immutable once filled.
var openAPIDocs = &openAPIDocCache{docs: map[string]*sharedDoc{}, verdicts: map[verdictKey]error{}}

type openAPIDocCache struct {
	mu       sync.Mutex
	docs     map[string]*sharedDoc
	verdicts map[verdictKey]error
}

type sharedDoc struct {
	once sync.Once
	doc  *spec3.OpenAPI // nil when it could not be shared
}

// verdictKey is a query parameter's support for a kind, as read from one document.
type verdictKey struct {
	doc   string
	gvk   schema.GroupVersionKind
	param resource.VerifiableQueryParam
}

// docKey returns the cache key of gv's document as the client lists it, and its hash; ok
// is false when the server gives it no hash (it may then change).
func docKey(client openapi.Client, gv schema.GroupVersion) (key, hash string, doc openapi.GroupVersion, ok bool) {
	paths, err := client.Paths()
	if err != nil {
		return "", "", nil, false
	}
	p := "api/" + gv.Version
	if gv.Group != "" {
		p = "apis/" + gv.Group + "/" + gv.Version
	}
	doc, found := paths[p]
	if !found || doc == nil {
		return "", "", nil, false
	}
	u, err := url.Parse(doc.ServerRelativeURL())
	if err != nil {
		return "", "", nil, false
	}
	hash = u.Query().Get("hash")
	if hash == "" {
		return "", "", nil, false
	}
	return p + "?hash=" + hash, hash, doc, true
}

// matchesHash reports whether b is the document the hash names (kube-openapi's ETag: the
// SHA-512 in hexadecimal).
func matchesHash(b []byte, hash string) bool {
	sum := sha512.Sum512(b)
	return strings.EqualFold(hex.EncodeToString(sum[:]), hash)
}

// parsed returns the shared parse of the document under key, parsing it on first use; nil
// when it cannot be shared.
func (c *openAPIDocCache) parsed(key, hash string, gv openapi.GroupVersion) *spec3.OpenAPI {
	c.mu.Lock()
	e, ok := c.docs[key]
	if !ok {
		if len(c.docs) >= maxSharedOpenAPIDocs {
			c.mu.Unlock()
			return nil
		}
		e = &sharedDoc{}
		c.docs[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		b, err := gv.Schema(runtime.ContentTypeJSON)
		if err != nil || !matchesHash(b, hash) {
			return
		}
		var doc spec3.OpenAPI
		if json.Unmarshal(b, &doc) == nil { // as openapi3's root parses it
			e.doc = &doc
		}
	})
	if e.doc == nil {
		// Not shareable this time (a failed request, a lying server): forget the entry so a
		// later run tries again, and let this one take kubectl's path.
		c.mu.Lock()
		if c.docs[key] == e {
			delete(c.docs, key)
		}
		c.mu.Unlock()
	}
	return e.doc
}

// sharedRoot is openapi3.Root over the shared documents: what kubectl's apply patcher reads
// (GVSpec). Anything it cannot share goes to kubectl's own root over the same client.
type sharedRoot struct {
	client openapi.Client
	own    openapi3.Root
}

func newSharedRoot(client openapi.Client) *sharedRoot {
	return &sharedRoot{client: client, own: openapi3.NewRoot(client)}
}

func (r *sharedRoot) GroupVersions() ([]schema.GroupVersion, error) { return r.own.GroupVersions() }

func (r *sharedRoot) GVSpecAsMap(gv schema.GroupVersion) (map[string]interface{}, error) {
	return r.own.GVSpecAsMap(gv)
}

// GVSpec returns the shared parse: callers read it and must not change it (kubectl's
// patcher and verifier only read).
func (r *sharedRoot) GVSpec(gv schema.GroupVersion) (*spec3.OpenAPI, error) {
	if key, hash, doc, ok := docKey(r.client, gv); ok {
		if d := openAPIDocs.parsed(key, hash, doc); d != nil {
			return d, nil
		}
	}
	return r.own.GVSpec(gv)
}

// sharedVerifier is kubectl's fieldValidation verifier as cmdutil's factory builds it
// (resource.NewQueryParamVerifierV3 behind a per-run cache, falling back to OpenAPI v2 on
// any other error) whose v3 answers are also kept per document: kubectl's own verifier
// computes each one once per process, from bytes checked against the document's hash.
type sharedVerifier struct {
	f      cmdutil.Factory
	client openapi.Client
	param  resource.VerifiableQueryParam

	mu     sync.Mutex
	run    map[schema.GroupVersionKind]error // this run's v3 answers, errors too, as kubectl keeps them
	legacy resource.Verifier
}

func (v *sharedVerifier) HasSupport(gvk schema.GroupVersionKind) error {
	err := v.v3(gvk)
	if err != nil && !resource.IsParamUnsupportedError(err) {
		// What resource.NewFallbackQueryParamVerifier does: any other error asks OpenAPI v2.
		legacy, lerr := v.v2()
		if lerr != nil {
			return lerr
		}
		err = legacy.HasSupport(gvk)
	}
	return err
}

func (v *sharedVerifier) v2() (resource.Verifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.legacy == nil {
		dyn, err := v.f.DynamicClient()
		if err != nil {
			return nil, err
		}
		disco, err := v.f.ToDiscoveryClient()
		if err != nil {
			return nil, err
		}
		v.legacy = resource.NewQueryParamVerifier(dyn, kopenapi.NewOpenAPIGetter(disco), v.param)
	}
	return v.legacy, nil
}

func (v *sharedVerifier) v3(gvk schema.GroupVersionKind) error {
	v.mu.Lock()
	err, hit := v.run[gvk]
	v.mu.Unlock()
	if hit {
		return err
	}
	key, hash, _, keyed := docKey(v.client, gvk.GroupVersion())
	vk := verdictKey{doc: key, gvk: gvk, param: v.param}
	if keyed {
		openAPIDocs.mu.Lock()
		err, hit = openAPIDocs.verdicts[vk]
		openAPIDocs.mu.Unlock()
	}
	if !hit {
		dyn, derr := v.f.DynamicClient()
		if derr != nil {
			return derr
		}
		checked := &hashCheckingClient{Client: v.client}
		err = resource.NewQueryParamVerifierV3(dyn, checked, v.param).HasSupport(gvk)
		if (err == nil || resource.IsParamUnsupportedError(err)) && keyed && checked.verified(hash) {
			openAPIDocs.mu.Lock()
			if len(openAPIDocs.verdicts) < 16*maxSharedOpenAPIDocs {
				openAPIDocs.verdicts[vk] = err
			}
			openAPIDocs.mu.Unlock()
		}
	}
	v.mu.Lock()
	if v.run == nil {
		v.run = map[schema.GroupVersionKind]error{}
	}
	v.run[gvk] = err
	v.mu.Unlock()
	return err
}

// hashCheckingClient passes kubectl's requests through and notes which hashes the
// documents it returned matched.
type hashCheckingClient struct {
	openapi.Client
	mu sync.Mutex
	ok map[string]bool
}

func (c *hashCheckingClient) Paths() (map[string]openapi.GroupVersion, error) {
	paths, err := c.Client.Paths()
	if err != nil {
		return paths, err
	}
	out := make(map[string]openapi.GroupVersion, len(paths))
	for p, gv := range paths {
		out[p] = &hashCheckingGV{GroupVersion: gv, c: c}
	}
	return out, nil
}

func (c *hashCheckingClient) verified(hash string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok[strings.ToUpper(hash)]
}

type hashCheckingGV struct {
	openapi.GroupVersion
	c *hashCheckingClient
}

func (g *hashCheckingGV) Schema(contentType string) ([]byte, error) {
	b, err := g.GroupVersion.Schema(contentType)
	if err != nil || contentType != runtime.ContentTypeJSON {
		return b, err
	}
	if u, perr := url.Parse(g.ServerRelativeURL()); perr == nil {
		if h := u.Query().Get("hash"); h != "" && matchesHash(b, h) {
			g.c.mu.Lock()
			if g.c.ok == nil {
				g.c.ok = map[string]bool{}
			}
			g.c.ok[strings.ToUpper(h)] = true
			g.c.mu.Unlock()
		}
	}
	return b, nil
}

// sharedOpenAPIFactory is the run's kubectl factory with the shared documents behind the
// two things apply asks it for.
type sharedOpenAPIFactory struct {
	cmdutil.Factory
	once   sync.Once
	client openapi.Client
	err    error
}

// v3Client is the run's memory-cached OpenAPI v3 client, one per run as kubectl's factory
// would make per call (its bytes come from kubectl's disk cache).
func (f *sharedOpenAPIFactory) v3Client() (openapi.Client, error) {
	f.once.Do(func() {
		disco, err := f.Factory.ToDiscoveryClient()
		if err != nil {
			f.err = err
			return
		}
		f.client = cached.NewClient(disco.OpenAPIV3())
	})
	return f.client, f.err
}

func (f *sharedOpenAPIFactory) OpenAPIV3Client() (openapi.Client, error) { return f.v3Client() }

// Validator is cmdutil's factory's Validator with sharedVerifier as the fieldValidation
// verifier: the same schemas, the same directives.
func (f *sharedOpenAPIFactory) Validator(directive string) (validation.Schema, error) {
	if directive == metav1.FieldValidationIgnore {
		return validation.NullSchema{}, nil
	}
	schema := validation.ConjunctiveSchema{
		validation.NewSchemaValidation(f),
		validation.NoDoubleKeySchema{},
	}
	client, err := f.v3Client()
	if err != nil {
		return nil, err
	}
	if _, err := f.Factory.DynamicClient(); err != nil {
		return nil, err
	}
	v := &sharedVerifier{f: f.Factory, client: client, param: resource.QueryParamFieldValidation}
	return validation.NewParamVerifyingSchema(schema, v, directive), nil
}

// sharedOpenAPIApply gives the tree's `apply` a Run that is kubectl's (ApplyFlags.ToOptions,
// Validate, Run on the flags the user set) with the shared documents: the factory's
// validator and the patcher's OpenAPI v3 root.
func sharedOpenAPIApply(root *cobra.Command, f cmdutil.Factory, streams genericiooptions.IOStreams) {
	replaceRun(root, []string{"apply"}, func(cmd *cobra.Command, args []string) {
		sf := &sharedOpenAPIFactory{Factory: f}
		flags := kapply.NewApplyFlags(streams)
		scratch := &cobra.Command{Use: "apply"}
		flags.AddFlags(scratch)
		cmdutil.CheckErr(copyFlags(cmd.Flags(), scratch.Flags()))
		o, err := flags.ToOptions(sf, cmd, "kubectl", args)
		cmdutil.CheckErr(err)
		if o.OpenAPIV3Root != nil {
			client, err := sf.v3Client()
			cmdutil.CheckErr(err)
			o.OpenAPIV3Root = newSharedRoot(client)
		}
		cmdutil.CheckErr(o.Validate())
		cmdutil.CheckErr(o.Run())
	})
}
