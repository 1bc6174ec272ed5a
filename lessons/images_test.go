package lessons

import (
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/manifests"
)

// Every image a lesson's commands name (kubectl run --image, image patches, the manifests
// they apply) comes from a registry a current containerd pulls from, and an update step
// moves between two such images.
func TestLessonImagesArePullable(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, id := range lib.IDs() {
		l, _ := lib.Get(id, "en")
		var lines []string
		for _, st := range l.Steps {
			lines = append(lines, st.Commands...)
		}
		images := engine.LessonImages(lines)
		for _, line := range lines {
			words, err := engine.SplitCommandLine(line)
			if err != nil {
				continue
			}
			for i, w := range words {
				switch {
				case strings.HasPrefix(w, "--image="):
					images = append(images, strings.TrimPrefix(w, "--image="))
				case w == "--image" && i+1 < len(words):
					images = append(images, words[i+1])
				}
			}
		}
		for _, img := range images {
			count++
			if p := manifests.ImageProblem(img); p != "" {
				t.Errorf("%s: image %q: %s", id, img, p)
			}
		}
	}
	if count < 5 {
		t.Fatalf("found only %d images in the lessons' commands", count)
	}
}
