package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// label names a result for people: "prefill 8×128, steered".
func (r *Result) label() string {
	if r.Workload == "fit" {
		return fmt.Sprintf("fit Linear-AcT %s, %s", r.Shape, r.Variant)
	}
	return fmt.Sprintf("%s %s, %s", r.Workload, r.Shape, r.Variant)
}

func rate(t *Timing, unit string) string {
	if t == nil {
		return "—"
	}
	if unit == "fits/s" {
		return fmt.Sprintf("%.3g s/fit", 1/t.Rate)
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

// header describes the machine and both sides in one paragraph.
func (rep *Report) header() string {
	m := rep.Machine
	s := fmt.Sprintf("%s shapes; %s, %d cores, %s, %s, GOMAXPROCS %d", rep.Shape, m.CPU, m.Cores, m.OS, m.Go, m.GoMaxProcs)
	if m.Backend != "" {
		s += ", GoMLX backend " + m.Backend
	}
	if rep.Torch != "" {
		s += fmt.Sprintf("; PyTorch %s, %d threads", rep.Torch, m.TorchThreads)
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
	fmt.Fprintln(tw, "workload\tactsh\tPyTorch\tratio\twarm-up actsh\twarm-up PyTorch\tcheck")
	for i := range rep.Results {
		r := &rep.Results[i]
		check := r.Check
		if r.Torch != nil && !r.CheckOK {
			check += " (MISMATCH)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.label(), rate(&r.Actsh, r.Unit), rate(r.Torch, r.Unit),
			ratio(r), warmup(&r.Actsh), warmup(r.Torch), check)
	}
	tw.Flush()
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Torch != nil && r.Torch.Breakdown != nil {
			bd := r.Torch.Breakdown
			fmt.Fprintf(&b, "PyTorch %s %s: sort loop %.3g s, quantiles %.3g s, least squares %.3g s\n",
				r.Workload, r.Variant, bd["sort_s"], bd["quantiles_s"], bd["lstsq_s"])
		}
	}
	fmt.Fprintln(&b, "\nratio = actsh rate / PyTorch rate (above 1: actsh is faster); warm-ups are not in the rates.")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown prints the report as a Markdown table for the README.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintln(&b, "| workload | actsh | PyTorch | ratio |")
	fmt.Fprintln(&b, "| --- | ---: | ---: | ---: |")
	for i := range rep.Results {
		r := &rep.Results[i]
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.label(), rate(&r.Actsh, r.Unit), rate(r.Torch, r.Unit), ratio(r))
	}
	fmt.Fprintf(&b, "\nMachine: %s.\n", rep.header())
	if rep.TorchNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.TorchNote)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
