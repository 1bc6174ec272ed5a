package controller

import (
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// maxEndpointsPerSlice is the real controller's default (--max-endpoints-per-slice): a Service
// with more endpoints gets several slices, and a pod that moves rewrites only its own slice.
const maxEndpointsPerSlice = 100

type epSlotE = epSlot[discoveryv1.Endpoint]

// slicePart is one of a Service's slices: its endpoints sorted by (IP, pod name).
type slicePart struct {
	name    string // the stored slice's name ("" until created)
	members []*epSlotE
	dirty   bool                            // members moved since the slice was last written or found right
	written runtime.Object                  // the stored slice this part last left
	log     changeLog[discoveryv1.Endpoint] // members dropped and added since written
}

// sliceView is one Service's endpoints spread over its slices, as the real controller keeps
// them: an endpoint stays in its slice while its pod lives, a new one goes to a slice that is
// being written anyway and has room (the fullest first), else to the fullest with room, else to
// a new slice; a slice left empty is deleted unless it is the Service's only one.
type sliceView struct {
	svc    *corev1.Service
	byName map[string]*sliceEntry
	parts  []*slicePart
}

type sliceEntry struct {
	sl   *epSlotE
	part *slicePart
}

func (p *slicePart) remove(sl *epSlotE) {
	if i, ok := slices.BinarySearchFunc(p.members, sl, slotCmp[discoveryv1.Endpoint]); ok {
		p.members = slices.Delete(p.members, i, i+1)
	}
	p.dirty = true
	p.log.drop(sl)
}

func (p *slicePart) add(sl *epSlotE) {
	i, _ := slices.BinarySearchFunc(p.members, sl, slotCmp[discoveryv1.Endpoint])
	p.members = slices.Insert(p.members, i, sl)
	p.dirty = true
	p.log.add(sl)
}

// place puts new endpoints (not in the view yet) into parts.
func (v *sliceView) place(fresh []*epSlotE) {
	slices.SortFunc(fresh, slotCmp[discoveryv1.Endpoint])
	for _, sl := range fresh {
		var best *slicePart
		for _, p := range v.parts {
			if len(p.members) >= maxEndpointsPerSlice {
				continue
			}
			if best == nil || (p.dirty && !best.dirty) || (p.dirty == best.dirty && len(p.members) > len(best.members)) {
				best = p
			}
		}
		if best == nil {
			best = &slicePart{dirty: true}
			v.parts = append(v.parts, best)
		}
		best.add(sl)
		v.byName[sl.pod.Name] = &sliceEntry{sl: sl, part: best}
	}
}

// apply updates the view from the pods named in names, as the store holds them now.
func (v *sliceView) apply(names []string, peek func(string) *corev1.Pod, slot func(*corev1.Pod) *epSlotE) {
	var fresh []*epSlotE
	for _, name := range names {
		p := peek(name)
		e := v.byName[name]
		if e != nil && e.sl.pod == p {
			continue
		}
		var sl *epSlotE
		if p != nil {
			sl = slot(p)
		}
		switch {
		case e == nil && sl == nil:
		case e == nil:
			fresh = append(fresh, sl)
		default:
			e.part.remove(e.sl)
			if sl == nil {
				delete(v.byName, name)
				continue
			}
			e.part.add(sl) // a pod keeps its slice while it stays in
			e.sl = sl
		}
	}
	v.place(fresh)
}

// fill builds the view from every pod of the namespace and the Service's stored slices:
// endpoints stay in the slice that holds them (when it has room), the rest are placed anew.
// A Service with no more endpoints than one slice holds keeps one slice, its first by name.
func (v *sliceView) fill(pods []runtime.Object, have []*discoveryv1.EndpointSlice, slot func(*corev1.Pod) *epSlotE) {
	var all []*epSlotE
	for _, o := range pods {
		if sl := slot(o.(*corev1.Pod)); sl != nil {
			all = append(all, sl)
		}
	}
	sort.Slice(have, func(i, j int) bool { return have[i].Name < have[j].Name })
	v.byName = map[string]*sliceEntry{}
	v.parts = nil
	if len(all) <= maxEndpointsPerSlice {
		p := &slicePart{dirty: true}
		if len(have) > 0 {
			p.name = have[0].Name
		}
		v.parts = []*slicePart{p}
		v.place(all)
		return
	}
	want := map[string]*epSlotE{}
	for _, sl := range all {
		want[sl.pod.Name] = sl
	}
	for _, es := range have {
		p := &slicePart{name: es.Name, dirty: true}
		v.parts = append(v.parts, p)
		for _, ep := range es.Endpoints {
			if ep.TargetRef == nil || len(p.members) >= maxEndpointsPerSlice {
				continue
			}
			if sl := want[ep.TargetRef.Name]; sl != nil {
				delete(want, ep.TargetRef.Name)
				p.add(sl)
				v.byName[sl.pod.Name] = &sliceEntry{sl: sl, part: p}
			}
		}
	}
	var rest []*epSlotE
	for _, sl := range all {
		if want[sl.pod.Name] != nil {
			rest = append(rest, sl)
		}
	}
	v.place(rest)
}

// firstPod: epView.firstPod over every part.
func (v *sliceView) firstPod(svc *corev1.Service) *corev1.Pod {
	named := false
	for _, sp := range svc.Spec.Ports {
		if sp.TargetPort.Type == intstr.String {
			named = true
		}
	}
	if !named {
		return nil
	}
	var first *corev1.Pod
	for _, e := range v.byName {
		if first == nil || e.sl.pod.Name < first.Name {
			first = e.sl.pod
		}
	}
	return first
}

// settle records the outcome of writing part p.
func (p *slicePart) settle(stored runtime.Object, err error) {
	p.log.reset()
	if err != nil || stored == nil {
		p.written, p.dirty = nil, true
		return
	}
	p.written, p.dirty = stored, false
	if es, ok := stored.(*discoveryv1.EndpointSlice); ok {
		p.name = es.Name
	}
}
