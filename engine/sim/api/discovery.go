package api

import (
	"net/http"
	goruntime "runtime"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

func (s *server) serveVersion(w http.ResponseWriter, r *http.Request) {
	major, minor := "1", "37"
	v := strings.TrimPrefix(s.o.Version, "v")
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	// Without no-cache the cloud SDK's kubectl dispatcher caches the first answer forever.
	w.Header().Set("Cache-Control", "no-cache, private")
	writeJSON(w, http.StatusOK, version.Info{
		Major: major, Minor: minor, GitVersion: s.o.Version,
		GitCommit: "0000000000000000000000000000000000000000", GitTreeState: "clean",
		BuildDate: "2026-01-01T00:00:00Z", GoVersion: goruntime.Version(), Compiler: goruntime.Compiler,
		Platform: goruntime.GOOS + "/" + goruntime.GOARCH,
	})
}

func (s *server) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, &metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
	})
}

// servedGroups are the API groups besides core, in the order /apis lists them.
var servedGroups = []string{"apps", "autoscaling", "policy", "storage.k8s.io", "discovery.k8s.io", "coordination.k8s.io"}

func apiGroup(name string) metav1.APIGroup {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: name + "/v1", Version: "v1"}
	return metav1.APIGroup{Name: name, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}
}

func (s *server) serveAPIGroupList(w http.ResponseWriter, r *http.Request) {
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, g := range servedGroups {
		list.Groups = append(list.Groups, apiGroup(g))
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *server) serveAPIGroup(w http.ResponseWriter, r *http.Request, name string) {
	for _, g := range servedGroups {
		if g == name {
			grp := apiGroup(g)
			grp.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
			writeJSON(w, http.StatusOK, &grp)
			return
		}
	}
	writeNotFoundPath(w, r)
}

var (
	verbsFull       = metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	verbsNamespaces = metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}
	verbsSub        = metav1.Verbs{"get", "patch", "update"}
)

// resourceList is the legacy discovery document for one group version.
func resourceList(group, version string) (*metav1.APIResourceList, bool) {
	gv := group + "/" + version
	if group == "" {
		gv = version
	}
	known := group == "" && version == "v1"
	for _, g := range servedGroups {
		known = known || (g == group && version == "v1")
	}
	if !known {
		return nil, false
	}
	list := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv,
		APIResources: []metav1.APIResource{}}
	for _, res := range store.Resources() {
		if res.Group != group || res.Version != version {
			continue
		}
		verbs := verbsFull
		if res.Name == "namespaces" {
			verbs = verbsNamespaces
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: res.Name, SingularName: res.Singular, Namespaced: res.Namespaced, Kind: res.Kind,
			Verbs: verbs, ShortNames: res.ShortNames, Categories: res.Categories})
		if res.HasScale {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: res.Name + "/scale", Namespaced: res.Namespaced, Group: "autoscaling", Version: "v1",
				Kind: "Scale", Verbs: verbsSub})
		}
		if res.HasStatus {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: res.Name + "/status", Namespaced: res.Namespaced, Kind: res.Kind, Verbs: verbsSub})
		}
		if res.Name == "pods" {
			list.APIResources = append(list.APIResources, evictionResource)
		}
	}
	sort.SliceStable(list.APIResources, func(i, j int) bool {
		return list.APIResources[i].Name < list.APIResources[j].Name
	})
	return list, true
}

func (s *server) serveResourceList(w http.ResponseWriter, r *http.Request, group, version string) {
	list, ok := resourceList(group, version)
	if !ok {
		writeNotFoundPath(w, r)
		return
	}
	writeJSON(w, http.StatusOK, list)
}
