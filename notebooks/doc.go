// Package notebooks holds the project's Jupyter notebooks (*.ipynb), run on
// the GoNB kernel, and the test that executes them.
//
// # Notebooks
//
//   - quickstart.ipynb: load the embedded model, fit Linear-AcT for a
//     concept, generate at several strengths λ side by side.
//   - sweep.ipynb: concept rate and perplexity against λ for Linear-AcT,
//     Mean-AcT, ITI-c and ActAdd.
//   - inside.ipynb: inside a transport: per-unit maps, support coverage,
//     histograms before and after.
//   - huggingface.ipynb: the sweep on GPT-2 from the Hugging Face cache,
//     skipped with a message when it is not there.
//
// Cells stay thin: the logic lives in [github.com/actsh/actsh/act],
// [github.com/actsh/actsh/act/view] and [github.com/actsh/actsh/tiny/demo].
// Each notebook's first code cell adds the repository root (the folder
// above the notebook) to a go.work in GoNB's build folder, so cells import
// the working tree's packages without machine paths.
//
// # Setup and test
//
// The setup script next to this file (make notebooks-setup) installs
// Jupyter from Debian, builds GoNB at the version go.mod pins, gopls and
// goimports, and registers the "gonb" kernel. The test executes every
// notebook headless with jupyter nbconvert --execute and fails on any cell
// error (a compile error, a panic, a non-zero exit), then checks the
// outputs: PNG plots that decode and are not blank, HTML tables, and the
// quickstart's concept rate rising with λ. It skips, naming the command to
// run, only where the tools are missing and cannot be installed: with CI=true
// or as root it fails instead. A second test checks that the saved
// notebooks carry no outputs.
package notebooks
