package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/manifest/manifesttest"
	"github.com/kubeward/kubeward/internal/podsecurity"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/rules"
)

const benchObjects = 5000

// writeCorpus writes benchObjects generated objects into files of 100
// documents each under a temporary directory and returns it with its size.
func writeCorpus(b *testing.B, objects int) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	docs := bytes.Split(manifesttest.Corpus(1, objects), []byte("---\n"))
	var size int64
	for i := 0; i < len(docs); i += 100 {
		end := min(i+100, len(docs))
		data := bytes.Join(docs[i:end], []byte("---\n"))
		size += int64(len(data))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%04d.yaml", i/100)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, size
}

// BenchmarkScanEndToEnd measures a whole scan as a user runs it: read the
// files, decode, evaluate restricted:latest, render JSON. "kubeward" is this
// package; "straightforward" is a scanner built the usual way on Kubernetes'
// libraries (apimachinery YAML splitting, sigs.k8s.io/yaml to JSON, the
// universal deserializer, the upstream Pod Security evaluator, encoding/json).
func BenchmarkScanEndToEnd(b *testing.B) {
	dir, size := writeCorpus(b, benchObjects)
	lv, _ := podsecurity.ParseLevelVersion("restricted:latest")
	// "kubeward" runs every rule family, as a scan does by default;
	// "kubeward-pod-security" only the family the straightforward scanner
	// has (issue 9 wants every family within 25% of it).
	for _, c := range []struct {
		name     string
		families []string
	}{{"kubeward", nil}, {"kubeward-pod-security", []string{podsecurity.RuleFamily}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var objects, findings int
			for b.Loop() {
				s, err := NewScanner(rules.Builtin(), Options{PodSecurity: lv, Families: c.families})
				if err != nil {
					b.Fatal(err)
				}
				rep := s.Read(&manifest.Reader{}, []string{dir})
				if err := report.Write(io.Discard, report.FormatJSON, rep, report.Options{}); err != nil {
					b.Fatal(err)
				}
				if rep.Summary.Errors > 0 {
					b.Fatalf("input errors: %v", rep.Errors[0])
				}
				objects, findings = rep.Summary.Objects, rep.Summary.Findings
			}
			b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
			b.Logf("%d objects, %d findings per scan", objects, findings)
		})
	}
	b.Run("straightforward", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var objects, failing int
		for b.Loop() {
			objects, failing = straightforwardScan(b, dir)
		}
		b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		b.Logf("%d objects, %d failing workloads per scan", objects, failing)
	})
}

type straightResult struct {
	File   string   `json:"file"`
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Reason []string `json:"reasons"`
}

// straightforwardScan is the reference pipeline the issue measures against.
func straightforwardScan(b *testing.B, dir string) (objects, failing int) {
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		b.Fatal(err)
	}
	lv := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	dec := scheme.Codecs.UniversalDeserializer()
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	sort.Strings(files)
	var results []straightResult
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufioReader(data))
		for {
			doc, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				b.Fatal(err)
			}
			obj, _, err := dec.Decode(js, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			objects++
			pt, ok := podTemplateOf(obj)
			if !ok {
				continue
			}
			res := policy.AggregateCheckResults(eval.EvaluatePod(lv, pt.meta, pt.spec))
			if !res.Allowed {
				failing++
				m, _ := metaOf(obj)
				results = append(results, straightResult{File: file, Kind: obj.GetObjectKind().GroupVersionKind().Kind, Name: m.Name, Reason: res.ForbiddenReasons})
			}
		}
	}
	if err := json.NewEncoder(io.Discard).Encode(results); err != nil {
		b.Fatal(err)
	}
	return objects, failing
}

func metaOf(obj any) (*metav1.ObjectMeta, bool) {
	if o, ok := obj.(metav1.ObjectMetaAccessor); ok {
		return o.GetObjectMeta().(*metav1.ObjectMeta), true
	}
	return nil, false
}

// BenchmarkScanDuplicates measures a scan of a repository that holds the
// same objects many times (install variants side by side, or one file
// repeating its objects): the cost per object must not grow with the
// number of copies. "files" writes each copy in its own file (separate
// bundles); "one-file" repeats the objects inside a single file (later
// copies replace earlier ones, as kubectl apply would).
func BenchmarkScanDuplicates(b *testing.B) {
	lv, _ := podsecurity.ParseLevelVersion("restricted:latest")
	base := manifesttest.Corpus(1, 500)
	for _, layout := range []string{"files", "one-file"} {
		for _, copies := range []int{10, 100} {
			b.Run(fmt.Sprintf("%s/copies=%d", layout, copies), func(b *testing.B) {
				dir := b.TempDir()
				var size int64
				if layout == "files" {
					for i := range copies {
						if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("copy-%03d.yaml", i)), base, 0o644); err != nil {
							b.Fatal(err)
						}
						size += int64(len(base))
					}
				} else {
					data := bytes.Repeat(append(append([]byte{}, base...), "\n---\n"...), copies)
					if err := os.WriteFile(filepath.Join(dir, "all.yaml"), data, 0o644); err != nil {
						b.Fatal(err)
					}
					size = int64(len(data))
				}
				b.SetBytes(size)
				b.ReportAllocs()
				var objects int
				for b.Loop() {
					s, err := NewScanner(rules.Builtin(), Options{PodSecurity: lv})
					if err != nil {
						b.Fatal(err)
					}
					rep := s.Read(&manifest.Reader{}, []string{dir})
					if rep.Summary.Errors > 0 {
						b.Fatalf("input errors: %v", rep.Errors[0])
					}
					objects = rep.Summary.Objects
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*objects), "ns/object")
			})
		}
	}
}
