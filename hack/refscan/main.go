// Command refscan is the reference for kubeward scan's throughput: the
// straightforward scanner one writes with Kubernetes' own libraries. It
// walks directories for *.yaml, *.yml and *.json files, splits them into
// documents with apimachinery's YAML reader, converts each to JSON with
// sigs.k8s.io/yaml, decodes it strictly into its typed object with
// client-go's scheme (UniversalDeserializer, as kubectl does), evaluates
// pods and pod templates with k8s.io/pod-security-admission at the given
// level (restricted:latest by default), and prints the failures as JSON
// with a summary. Single goroutine, no line numbers, as such a tool is
// usually written. It is a module of its own so that pod-security-admission
// stays out of kubeward's shipped code; hack/throughput.sh builds it.
//
//	refscan [-level restricted] DIR|FILE...
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type result struct {
	File      string   `json:"file"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Check     string   `json:"check"`
	Reason    string   `json:"reason"`
	Detail    string   `json:"detail"`
	Errors    []string `json:"-"`
}

type output struct {
	Findings []result `json:"findings"`
	Errors   []string `json:"errors"`
	Summary  struct {
		Objects  int `json:"objects"`
		Findings int `json:"findings"`
		Errors   int `json:"errors"`
	} `json:"summary"`
}

func main() {
	level := flag.String("level", "restricted", "Pod Security level: baseline or restricted")
	flag.Parse()
	lvl, err := api.ParseLevel(*level)
	if err != nil || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: refscan [-level baseline|restricted] PATH...")
		os.Exit(2)
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lv := api.LevelVersion{Level: lvl, Version: api.LatestVersion()}
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	var out output
	out.Findings, out.Errors = []result{}, []string{}
	scanFile := func(path string) {
		f, err := os.Open(path)
		if err != nil {
			out.Errors = append(out.Errors, err.Error())
			return
		}
		defer f.Close()
		r := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for {
			doc, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				out.Errors = append(out.Errors, fmt.Sprintf("%s: %v", path, err))
				return
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				out.Errors = append(out.Errors, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			if string(js) == "null" {
				continue
			}
			obj, gvk, err := decoder.Decode(js, nil, nil)
			if err != nil && !runtime.IsStrictDecodingError(err) {
				if runtime.IsNotRegisteredError(err) {
					out.Summary.Objects++ // a custom resource: nothing to check
					continue
				}
				out.Errors = append(out.Errors, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			if err != nil {
				out.Errors = append(out.Errors, fmt.Sprintf("%s: %v", path, err))
			}
			out.Summary.Objects++
			meta, spec := podOf(obj)
			if spec == nil {
				continue
			}
			m, _ := obj.(metav1.Object)
			for _, res := range eval.EvaluatePod(lv, meta, spec) {
				if res.Allowed {
					continue
				}
				out.Findings = append(out.Findings, result{
					File: path, Kind: gvk.Kind, Namespace: m.GetNamespace(), Name: m.GetName(),
					Check: res.ForbiddenReason, Reason: res.ForbiddenReason, Detail: res.ForbiddenDetail,
				})
			}
		}
	}
	for _, p := range flag.Args() {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				scanFile(path)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			out.Errors = append(out.Errors, err.Error())
		}
	}
	out.Summary.Findings, out.Summary.Errors = len(out.Findings), len(out.Errors)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		os.Exit(2)
	}
	switch {
	case len(out.Errors) > 0:
		os.Exit(2)
	case len(out.Findings) > 0:
		os.Exit(1)
	}
}

// podOf returns the pod metadata and spec of pods and of workloads' pod
// templates, as Pod Security Admission evaluates them.
func podOf(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec
	case *corev1.PodTemplate:
		return &o.Template.ObjectMeta, &o.Template.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		}
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil, nil
}
