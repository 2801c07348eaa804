// Package view draws what a transport does, for notebooks and reports:
// PNG plots (gonum/plot) and HTML tables, returned as values so that a
// notebook cell only displays them (GoNB's gonbui.DisplayPNG and
// gonbui.DisplayHTML) and a program can write them anywhere.
//
//	t := act.FitLinearOT(r)
//	gonbui.DisplayHTML(view.Summary(t, r))             // per point: units, cost, coverage, |w−1|, |b|
//	gonbui.DisplayPNG(view.MapPNG(t, point))           // w and b of every unit
//	gonbui.DisplayPNG(view.CoveragePNG(t, point, r))   // share of source values each unit moves
//	for _, u := range view.Moved(t, point, r, 3) {     // the units moved the most
//		gonbui.DisplayPNG(view.HistogramPNG(t, point, u, r)) // source, target, transported
//	}
//
// [Table] formats any rows as an HTML table (generations side by side, a
// comparison of supports).
//
// # Maps and displacement
//
// Every map is read through [act.Transport.Map]: T(z) = w·z + b where
// lo < z < hi, else z. Displacements are measured at λ = 1 on the source
// responses, with the affine map (for [act.FitExactOT] transports, the
// affine approximation stored alongside the knots; [HistogramPNG] draws
// the exact map).
//
// # Sweeps
//
// [BandsPNG] draws measures against a strength, panels side by side: per
// [Curve], the median of each point's samples as a line and the band
// between its first and third quartiles ([Quartiles], numpy's
// percentiles), as the AcT paper draws p(yes) and perplexity against λ
// (its Figure 4):
//
//	judge := view.Panel{Title: "p(yes)", XLabel: "λ", Curves: []view.Curve{{Name: "Linear-AcT", X: lambdas, Samples: pyes}}}
//	gonbui.DisplayPNG(view.BandsPNG(judge, ppl))
//
// A panel whose [Band] is [StdDev] draws the mean and mean ± one standard
// deviation instead, as the diffusion recipes draw CLIP scores
// (act.CLIPSweep's ZeroShot and ClipScore are such samples).
//
// # Errors
//
// Like package act, the functions panic with an [*act.Error] carrying one
// readable message ("act: view: ...") when their input is bad.
package view
