package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// growthTarget is the bound on step@1024 / step@64.
const growthTarget = 1.3

// label names a result for people: "prefill 8×128, steered".
func (r *Result) label() string {
	switch r.Workload {
	case "fit":
		return fmt.Sprintf("fit Linear-AcT %s, %s", r.Shape, r.Variant)
	case "decode1":
		return fmt.Sprintf("decode %s, %s", r.Shape, r.Variant)
	case "longcache":
		return fmt.Sprintf("decode step, %s, %s", r.Variant, r.Shape)
	case "train":
		return fmt.Sprintf("train %s, backend %s", r.Shape, r.Variant)
	case "gemma2":
		return fmt.Sprintf("Gemma-2 bf16 %s", r.Shape)
	}
	return fmt.Sprintf("%s %s, %s", r.Workload, r.Shape, r.Variant)
}

func rate(t *Timing, unit string) string {
	if t == nil {
		return "—"
	}
	switch unit {
	case "fits/s":
		return fmt.Sprintf("%.3g s/fit", 1/t.Rate)
	case "steps/s":
		return fmt.Sprintf("%.3g ms/step", 1000/t.Rate)
	}
	return fmt.Sprintf("%.3g %s", t.Rate, unit)
}

func warmup(t *Timing) string {
	if t == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f s", t.WarmupSec)
}

func ratio(r *Result) string {
	if r.Torch == nil {
		return "—"
	}
	return fmt.Sprintf("%.3g", r.Ratio)
}

// hasAnchors reports whether any row has an anchor: the tables then get its
// two columns.
func (rep *Report) hasAnchors() bool {
	for i := range rep.Results {
		if rep.Results[i].Anchor != nil {
			return true
		}
	}
	return false
}

// anchor returns the anchor's name and rate, and the ratio to it.
func anchor(r *Result) (string, string) {
	a := r.Anchor
	if a == nil {
		return "—", "—"
	}
	if a.Timing == nil {
		return "— (" + a.Name + ")", "—"
	}
	return fmt.Sprintf("%s: %s", a.Name, rate(a.Timing, r.Unit)), fmt.Sprintf("%.3g", a.Ratio)
}

// growthLines describes the longcache rows' step@long / step@short.
func (rep *Report) growthLines(b *strings.Builder) {
	for i := range rep.Results {
		r := &rep.Results[i]
		g := r.Growth
		if g == nil {
			continue
		}
		fmt.Fprintf(b, "decode step %s, cache %d vs %d: step@%d / step@%d = %.3g actsh", strings.SplitN(r.Shape, ",", 2)[0],
			g.Long, g.Short, g.Long, g.Short, g.Actsh)
		if g.Torch != nil {
			fmt.Fprintf(b, ", %.3g PyTorch", *g.Torch)
		}
		fmt.Fprintf(b, " (target ≤ %.2g)\n", growthTarget)
	}
}

// steeredTarget is the bound on steered / plain rates.
const steeredTarget = 0.9

// steeredLines gives, per workload run in both variants, the steered rate
// over the plain one on each side.
func (rep *Report) steeredLines(b *strings.Builder) {
	for i := range rep.Results {
		p := &rep.Results[i]
		if p.Variant != "plain" || p.Workload == "gemma2" {
			continue
		}
		for j := range rep.Results {
			st := &rep.Results[j]
			if st.Workload != p.Workload || st.Variant != "steered" || st.Shape != p.Shape {
				continue
			}
			fmt.Fprintf(b, "steered / plain, %s: %.3g actsh", strings.TrimSuffix(p.label(), ", plain"), st.Actsh.Rate/p.Actsh.Rate)
			if p.Torch != nil && st.Torch != nil {
				fmt.Fprintf(b, ", %.3g PyTorch", st.Torch.Rate/p.Torch.Rate)
			}
			fmt.Fprintf(b, " (target ≥ %.2g)\n", steeredTarget)
		}
	}
}

// anchorNotes lists each anchor's note once.
func (rep *Report) anchorNotes(b *strings.Builder) {
	var seen []string
	for i := range rep.Results {
		a := rep.Results[i].Anchor
		if a == nil || a.Note == "" || slices.Contains(seen, a.Note) {
			continue
		}
		seen = append(seen, a.Note)
		fmt.Fprintf(b, "%s: %s\n", a.Name, a.Note)
	}
}

// header describes the machine and both sides in one paragraph.
func (rep *Report) header() string {
	m := rep.Machine
	s := fmt.Sprintf("%s shapes; %s, %d cores, %s, %s, GOMAXPROCS %d", rep.Shape, m.CPU, m.Cores, m.OS, m.Go, m.GoMaxProcs)
	if m.Backend != "" {
		s += ", GoMLX backend " + m.Backend
	}
	if m.LoadStart > 0 || m.LoadEnd > 0 {
		s += fmt.Sprintf(", load average %.1f at the start, %.1f at the end", m.LoadStart, m.LoadEnd)
	}
	if rep.Torch != "" {
		s += fmt.Sprintf("; PyTorch %s, %d threads", rep.Torch, m.TorchThreads)
		if m.TorchBLAS != "" {
			s += ", BLAS " + m.TorchBLAS
			if m.TorchBLAS == ReferenceBLAS {
				s += " (WARNING: ~10× slower than OpenBLAS; PyTorch's rows understate it: install libopenblas0-pthread)"
			}
		}
	}
	if rep.LlamaCpp != "" {
		s += "; " + rep.LlamaCpp
	}
	return s
}

// WriteText prints the report as an aligned table with the warm-ups and
// checks. The ratio is actsh's rate over PyTorch's.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "actsh bench: %s\n", rep.header())
	if rep.TorchNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.TorchNote)
	}
	fmt.Fprintln(&b)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	anchors := rep.hasAnchors()
	head := "workload\tactsh\tPyTorch\tratio\twarm-up actsh\twarm-up PyTorch\tcheck"
	if anchors {
		head = "workload\tactsh\tPyTorch\tratio\tanchor\tratio to anchor\twarm-up actsh\twarm-up PyTorch\tcheck"
	}
	fmt.Fprintln(tw, head)
	for i := range rep.Results {
		r := &rep.Results[i]
		check := r.Check
		if r.Check != "" && !r.CheckOK {
			check += " (MISMATCH)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", r.label(), rate(&r.Actsh, r.Unit), rate(r.Torch, r.Unit), ratio(r))
		if anchors {
			a, ar := anchor(r)
			fmt.Fprintf(tw, "%s\t%s\t", a, ar)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", warmup(&r.Actsh), warmup(r.Torch), check)
	}
	tw.Flush()
	rep.steeredLines(&b)
	rep.growthLines(&b)
	rep.anchorNotes(&b)
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Torch != nil && r.Torch.Breakdown != nil {
			bd := r.Torch.Breakdown
			fmt.Fprintf(&b, "PyTorch %s %s: sort loop %.3g s, quantiles %.3g s, least squares %.3g s\n",
				r.Workload, r.Variant, bd["sort_s"], bd["quantiles_s"], bd["lstsq_s"])
		}
	}
	fmt.Fprintln(&b, "\nratio = actsh rate / PyTorch rate (above 1: actsh is faster); warm-ups are not in the rates.")
	if rep.LlamaCppNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.LlamaCppNote)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown prints the report as a Markdown table for the README.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	anchors := rep.hasAnchors()
	if anchors {
		fmt.Fprintln(&b, "| workload | actsh | PyTorch | ratio | anchor | ratio to anchor |")
		fmt.Fprintln(&b, "| --- | ---: | ---: | ---: | ---: | ---: |")
	} else {
		fmt.Fprintln(&b, "| workload | actsh | PyTorch | ratio |")
		fmt.Fprintln(&b, "| --- | ---: | ---: | ---: |")
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", r.label(), rate(&r.Actsh, r.Unit), rate(r.Torch, r.Unit), ratio(r))
		if anchors {
			a, ar := anchor(r)
			fmt.Fprintf(&b, " %s | %s |", a, ar)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nMachine: %s.\n", rep.header())
	if rep.TorchNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.TorchNote)
	}
	rep.steeredLines(&b)
	rep.growthLines(&b)
	rep.anchorNotes(&b)
	if rep.LlamaCppNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.LlamaCppNote)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
