package api

// Pure table printers: what the apiserver's printers (pkg/printers/internalversion) put in
// server-side Tables for `kubectl get`. Each takes the object and the current time; the
// server always fills the wide (priority 1) columns, kubectl hides them unless -o wide.

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

// printer is one resource's table layout.
type printer struct {
	columns []metav1.TableColumnDefinition
	// row returns the cells (one per column) and any row conditions.
	row func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition)
}

func col(name, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Description: desc}
}

func wideCol(name, desc string) metav1.TableColumnDefinition {
	c := col(name, desc)
	c.Priority = 1
	return c
}

var (
	nameCol = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
	ageCol  = col("Age", metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"])
)

// age is the AGE cell: HumanDuration since t, "<unknown>" for a zero time.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// printerFor returns the layout for a resource; unknown kinds get NAME and AGE.
func printerFor(resource string) printer {
	if p, ok := workloadPrinters[resource]; ok { // printers_workloads.go
		return p
	}
	switch resource {
	case "pods":
		return podPrinter
	case "statefulsets":
		return statefulSetPrinter
	case "persistentvolumeclaims":
		return pvcPrinter
	case "persistentvolumes":
		return pvPrinter
	case "services":
		return servicePrinter
	case "endpoints":
		return endpointsPrinter
	case "controllerrevisions":
		return controllerRevisionPrinter
	case "events":
		return eventPrinter
	case "namespaces":
		return namespacePrinter
	case "nodes":
		return nodePrinter
	case "configmaps":
		return configMapPrinter
	case "storageclasses":
		return storageClassPrinter
	case "endpointslices":
		return endpointSlicePrinter
	case "poddisruptionbudgets":
		return pdbPrinter
	}
	return defaultPrinter
}

var defaultPrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol, ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return []any{"", "<unknown>"}, nil
		}
		return []any{m.GetName(), age(m.GetCreationTimestamp(), now)}, nil
	},
}

// --- pods ---

var podPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
		col("Status", "The aggregate status of the containers in this pod."),
		col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageCol,
		wideCol("IP", corev1.PodStatus{}.SwaggerDoc()["podIP"]),
		wideCol("Node", corev1.PodSpec{}.SwaggerDoc()["nodeName"]),
		wideCol("Nominated Node", corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"]),
		wideCol("Readiness Gates", corev1.PodSpec{}.SwaggerDoc()["readinessGates"]),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		return podRow(obj.(*corev1.Pod), now)
	},
}

func isRestartableInit(c *corev1.Container) bool {
	return c != nil && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// PodReadyAndStatus returns the READY and STATUS cells of `kubectl get pods` for a pod.
func PodReadyAndStatus(pod *corev1.Pod) (ready, status string) {
	cells, _ := podRow(pod, time.Time{})
	return cells[1].(string), cells[2].(string)
}

// podRow follows the apiserver's printPod, including its STATUS algorithm (init
// containers, last-to-first container reasons, Completed-but-running, Terminating).
func podRow(pod *corev1.Pod, now time.Time) ([]any, []metav1.TableRowCondition) {
	restarts, sidecarRestarts := 0, 0
	total := len(pod.Spec.Containers)
	ready := 0
	var lastRestart, lastSidecarRestart time.Time

	phase := pod.Status.Phase
	reason := string(phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}
	var conds []metav1.TableRowCondition
	switch phase {
	case corev1.PodSucceeded:
		conds = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(phase), Message: "The pod has completed successfully."}}
	case corev1.PodFailed:
		conds = []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(phase), Message: "The pod failed."}}
	}

	var inits map[string]*corev1.Container // most pods have none: no map per row
	if len(pod.Spec.InitContainers) > 0 {
		inits = make(map[string]*corev1.Container, len(pod.Spec.InitContainers))
	}
	for i := range pod.Spec.InitContainers {
		inits[pod.Spec.InitContainers[i].Name] = &pod.Spec.InitContainers[i]
		if isRestartableInit(&pod.Spec.InitContainers[i]) {
			total++
		}
	}
	later := func(cur *time.Time, t metav1.Time) {
		if cur.Before(t.Time) {
			*cur = t.Time
		}
	}

	initializing := false
	for i := range pod.Status.InitContainerStatuses {
		c := pod.Status.InitContainerStatuses[i]
		restarts += int(c.RestartCount)
		if t := c.LastTerminationState.Terminated; t != nil {
			later(&lastRestart, t.FinishedAt)
		}
		sidecar := isRestartableInit(inits[c.Name])
		if sidecar {
			sidecarRestarts += int(c.RestartCount)
			if t := c.LastTerminationState.Terminated; t != nil {
				later(&lastSidecarRestart, t.FinishedAt)
			}
		}
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case sidecar && c.Started != nil && *c.Started:
			if c.Ready {
				ready++
			}
			continue
		case c.State.Terminated != nil:
			t := c.State.Terminated
			switch {
			case t.Reason != "":
				reason = "Init:" + t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}

	if !initializing || podConditionTrue(pod, corev1.PodInitialized) {
		restarts = sidecarRestarts
		lastRestart = lastSidecarRestart
		hasRunning := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := pod.Status.ContainerStatuses[i]
			restarts += int(c.RestartCount)
			if t := c.LastTerminationState.Terminated; t != nil {
				later(&lastRestart, t.FinishedAt)
			}
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				reason = c.State.Terminated.Reason
			case c.State.Terminated != nil:
				if c.State.Terminated.Signal != 0 {
					reason = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
				} else {
					reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
				}
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				ready++
			}
		}
		if reason == "Completed" && hasRunning {
			if podConditionTrue(pod, corev1.PodReady) {
				reason = "Running"
			} else {
				reason = "NotReady"
			}
		}
	}

	if pod.DeletionTimestamp != nil && pod.Status.Reason == "NodeLost" {
		reason = "Unknown"
	} else if pod.DeletionTimestamp != nil && phase != corev1.PodSucceeded && phase != corev1.PodFailed {
		reason = "Terminating"
	}

	restartStr := strconv.Itoa(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		restartStr = fmt.Sprintf("%d (%s ago)", restarts, duration.HumanDuration(now.Sub(lastRestart)))
	}

	ip := "<none>"
	if len(pod.Status.PodIPs) > 0 && pod.Status.PodIPs[0].IP != "" {
		ip = pod.Status.PodIPs[0].IP
	}
	node := orNone(pod.Spec.NodeName)
	nominated := orNone(pod.Status.NominatedNodeName)
	gates := "<none>"
	if n := len(pod.Spec.ReadinessGates); n > 0 {
		trueGates := 0
		for _, g := range pod.Spec.ReadinessGates {
			for _, c := range pod.Status.Conditions {
				if c.Type == g.ConditionType {
					if c.Status == corev1.ConditionTrue {
						trueGates++
					}
					break
				}
			}
		}
		gates = fmt.Sprintf("%d/%d", trueGates, n)
	}
	return []any{pod.Name, strconv.Itoa(ready) + "/" + strconv.Itoa(total), reason, restartStr, age(pod.CreationTimestamp, now),
		ip, node, nominated, gates}, conds
}

func podConditionTrue(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// --- statefulsets ---

var statefulSetPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Ready", "Number of the pod with ready state"),
		ageCol,
		wideCol("Containers", "Names of each container in the template."),
		wideCol("Images", "Images referenced by each container in the template."),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		sts := obj.(*appsv1.StatefulSet)
		var desired int32 = 1
		if sts.Spec.Replicas != nil {
			desired = *sts.Spec.Replicas
		}
		names, images := containerCells(sts.Spec.Template.Spec.Containers)
		return []any{sts.Name, fmt.Sprintf("%d/%d", sts.Status.ReadyReplicas, desired), age(sts.CreationTimestamp, now), names, images}, nil
	},
}

func containerCells(cs []corev1.Container) (string, string) {
	var names, images []string
	for _, c := range cs {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

// --- volumes ---

func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	has := func(m corev1.PersistentVolumeAccessMode) bool {
		for _, x := range modes {
			if x == m {
				return true
			}
		}
		return false
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{{corev1.ReadWriteOnce, "RWO"}, {corev1.ReadOnlyMany, "ROX"}, {corev1.ReadWriteMany, "RWX"}, {corev1.ReadWriteOncePod, "RWOP"}} {
		if has(m.mode) {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

var pvcPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Status", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"]),
		col("Volume", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeName"]),
		col("Capacity", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"]),
		col("Access Modes", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"]),
		col("StorageClass", "StorageClass of the pvc"),
		col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
		ageCol,
		wideCol("VolumeMode", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeMode"]),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		pvc := obj.(*corev1.PersistentVolumeClaim)
		phase := string(pvc.Status.Phase)
		if pvc.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		class := pvc.Annotations[corev1.BetaStorageClassAnnotation]
		if class == "" && pvc.Spec.StorageClassName != nil {
			class = *pvc.Spec.StorageClassName
		}
		vac := "<unset>"
		if pvc.Spec.VolumeAttributesClassName != nil && *pvc.Spec.VolumeAttributesClassName != "" {
			vac = *pvc.Spec.VolumeAttributesClassName
		}
		capacity, modes := "", ""
		if pvc.Spec.VolumeName != "" {
			modes = accessModes(pvc.Status.AccessModes)
			q := pvc.Status.Capacity[corev1.ResourceStorage]
			capacity = q.String()
		}
		mode := "<unset>"
		if pvc.Spec.VolumeMode != nil {
			mode = string(*pvc.Spec.VolumeMode)
		}
		return []any{pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class, vac, age(pvc.CreationTimestamp, now), mode}, nil
	},
}

var pvPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Capacity", corev1.PersistentVolumeSpec{}.SwaggerDoc()["capacity"]),
		col("Access Modes", corev1.PersistentVolumeSpec{}.SwaggerDoc()["accessModes"]),
		col("Reclaim Policy", corev1.PersistentVolumeSpec{}.SwaggerDoc()["persistentVolumeReclaimPolicy"]),
		col("Status", corev1.PersistentVolumeStatus{}.SwaggerDoc()["phase"]),
		col("Claim", corev1.PersistentVolumeSpec{}.SwaggerDoc()["claimRef"]),
		col("StorageClass", "StorageClass of the pv"),
		col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
		col("Reason", corev1.PersistentVolumeStatus{}.SwaggerDoc()["reason"]),
		ageCol,
		wideCol("VolumeMode", corev1.PersistentVolumeSpec{}.SwaggerDoc()["volumeMode"]),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		pv := obj.(*corev1.PersistentVolume)
		claim := ""
		if pv.Spec.ClaimRef != nil {
			claim = pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name
		}
		q := pv.Spec.Capacity[corev1.ResourceStorage]
		phase := string(pv.Status.Phase)
		if pv.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		class := pv.Annotations[corev1.BetaStorageClassAnnotation]
		if class == "" {
			class = pv.Spec.StorageClassName
		}
		vac := "<unset>"
		if pv.Spec.VolumeAttributesClassName != nil && *pv.Spec.VolumeAttributesClassName != "" {
			vac = *pv.Spec.VolumeAttributesClassName
		}
		mode := "<unset>"
		if pv.Spec.VolumeMode != nil {
			mode = string(*pv.Spec.VolumeMode)
		}
		return []any{pv.Name, q.String(), accessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
			phase, claim, class, vac, pv.Status.Reason, age(pv.CreationTimestamp, now), mode}, nil
	},
}

// --- services and endpoints ---

var servicePrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Type", corev1.ServiceSpec{}.SwaggerDoc()["type"]),
		col("Cluster-IP", corev1.ServiceSpec{}.SwaggerDoc()["clusterIP"]),
		col("External-IP", corev1.ServiceSpec{}.SwaggerDoc()["externalIPs"]),
		col("Port(s)", corev1.ServiceSpec{}.SwaggerDoc()["ports"]),
		ageCol,
		wideCol("Selector", corev1.ServiceSpec{}.SwaggerDoc()["selector"]),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		svc := obj.(*corev1.Service)
		ip := "<none>"
		if len(svc.Spec.ClusterIPs) > 0 {
			ip = svc.Spec.ClusterIPs[0]
		}
		var ports []string
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
			} else {
				ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
			}
		}
		portStr := strings.Join(ports, ",")
		if portStr == "" {
			portStr = "<none>"
		}
		return []any{svc.Name, string(svc.Spec.Type), ip, externalIP(svc), portStr, age(svc.CreationTimestamp, now),
			labels.FormatLabels(svc.Spec.Selector)}, nil
	},
}

func externalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return "<none>"
	case corev1.ServiceTypeLoadBalancer:
		var ips []string
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				ips = append(ips, in.IP)
			} else if in.Hostname != "" {
				ips = append(ips, in.Hostname)
			}
		}
		ips = append(ips, svc.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

var endpointsPrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol, col("Endpoints", corev1.Endpoints{}.SwaggerDoc()["subsets"]), ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		ep := obj.(*corev1.Endpoints)
		return []any{ep.Name, formatEndpoints(ep), age(ep.CreationTimestamp, now)}, nil
	},
}

// formatEndpoints lists up to three ip:port pairs, then "+ N more...".
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	more := false
	count := 0
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) == max {
					more = true
					break
				}
				list = append(list, a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) == max {
					more = true
					break
				}
				list = append(list, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", out, count-max)
	}
	return out
}

// --- apps and events ---

var controllerRevisionPrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol,
		col("Controller", "Controller of the object"),
		col("Revision", appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
		ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		cr := obj.(*appsv1.ControllerRevision)
		controller := "<none>"
		if ref := metav1.GetControllerOf(cr); ref != nil {
			gv, _ := schema.ParseGroupVersion(ref.APIVersion)
			controller = strings.ToLower(gv.WithKind(ref.Kind).GroupKind().String()) + "/" + ref.Name
		}
		return []any{cr.Name, controller, cr.Revision, age(cr.CreationTimestamp, now)}, nil
	},
}

var eventPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		col("Last Seen", corev1.Event{}.SwaggerDoc()["lastTimestamp"]),
		col("Type", corev1.Event{}.SwaggerDoc()["type"]),
		col("Reason", corev1.Event{}.SwaggerDoc()["reason"]),
		col("Object", corev1.Event{}.SwaggerDoc()["involvedObject"]),
		wideCol("Subobject", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
		wideCol("Source", corev1.Event{}.SwaggerDoc()["source"]),
		col("Message", corev1.Event{}.SwaggerDoc()["message"]),
		wideCol("First Seen", corev1.Event{}.SwaggerDoc()["firstTimestamp"]),
		wideCol("Count", corev1.Event{}.SwaggerDoc()["count"]),
		func() metav1.TableColumnDefinition {
			c := wideCol("Name", metav1.ObjectMeta{}.SwaggerDoc()["name"])
			c.Format = "name"
			return c
		}(),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		ev := obj.(*corev1.Event)
		first := age(ev.FirstTimestamp, now)
		if ev.FirstTimestamp.IsZero() {
			first = microAge(ev.EventTime, now)
		}
		last := age(ev.LastTimestamp, now)
		if ev.LastTimestamp.IsZero() {
			last = first
		}
		count := ev.Count
		if ev.Series != nil {
			last = microAge(ev.Series.LastObservedTime, now)
			count = ev.Series.Count
		} else if count == 0 {
			count = 1
		}
		target := strings.ToLower(ev.InvolvedObject.Kind)
		if ev.InvolvedObject.Name != "" {
			target += "/" + ev.InvolvedObject.Name
		}
		return []any{last, ev.Type, ev.Reason, target, ev.InvolvedObject.FieldPath, eventSource(ev),
			strings.TrimSpace(ev.Message), first, int64(count), ev.Name}, nil
	},
}

func microAge(t metav1.MicroTime, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

func eventSource(ev *corev1.Event) string {
	component, host := ev.Source.Component, ev.Source.Host
	if component == "" {
		component, host = ev.ReportingController, ev.ReportingInstance
	}
	if host != "" {
		return component + ", " + host
	}
	return component
}

// --- cluster objects ---

var namespacePrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol, col("Status", "The status of the namespace"), ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		ns := obj.(*corev1.Namespace)
		return []any{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp, now)}, nil
	},
}

var nodePrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Status", "The status of the node"),
		col("Roles", "The roles of the node"),
		ageCol,
		col("Version", corev1.NodeSystemInfo{}.SwaggerDoc()["kubeletVersion"]),
		wideCol("Internal-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
		wideCol("External-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
		wideCol("OS-Image", corev1.NodeSystemInfo{}.SwaggerDoc()["osImage"]),
		wideCol("Kernel-Version", corev1.NodeSystemInfo{}.SwaggerDoc()["kernelVersion"]),
		wideCol("Container-Runtime", corev1.NodeSystemInfo{}.SwaggerDoc()["containerRuntimeVersion"]),
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		n := obj.(*corev1.Node)
		var status []string
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				if c.Status == corev1.ConditionTrue {
					status = append(status, "Ready")
				} else {
					status = append(status, "NotReady")
				}
			}
		}
		if len(status) == 0 {
			status = append(status, "Unknown")
		}
		if n.Spec.Unschedulable {
			status = append(status, "SchedulingDisabled")
		}
		roles := map[string]bool{}
		for k, v := range n.Labels {
			switch {
			case strings.HasPrefix(k, "node-role.kubernetes.io/"):
				if r := strings.TrimPrefix(k, "node-role.kubernetes.io/"); r != "" {
					roles[r] = true
				}
			case k == "kubernetes.io/role" && v != "":
				roles[v] = true
			}
		}
		var roleList []string
		for r := range roles {
			roleList = append(roleList, r)
		}
		sort.Strings(roleList)
		roleStr := strings.Join(roleList, ",")
		if roleStr == "" {
			roleStr = "<none>"
		}
		addr := func(t corev1.NodeAddressType) string {
			for _, a := range n.Status.Addresses {
				if a.Type == t {
					return a.Address
				}
			}
			return "<none>"
		}
		unknown := func(s string) string {
			if s == "" {
				return "<unknown>"
			}
			return s
		}
		info := n.Status.NodeInfo
		return []any{n.Name, strings.Join(status, ","), roleStr, age(n.CreationTimestamp, now), info.KubeletVersion,
			addr(corev1.NodeInternalIP), addr(corev1.NodeExternalIP), unknown(info.OSImage), unknown(info.KernelVersion),
			unknown(info.ContainerRuntimeVersion)}, nil
	},
}

var configMapPrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol, col("Data", corev1.ConfigMap{}.SwaggerDoc()["data"]), ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		cm := obj.(*corev1.ConfigMap)
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp, now)}, nil
	},
}
