// Package responses holds a model's pooled activations ("responses") per
// intervention point for source and target samples: the input of every
// transport fit. It extracts them through the engine, caches them on disk,
// and fits transports point by point.
//
// # Sets
//
// A [Set] has one vector per sample and point: the point's module output
// pooled over the sample's real tokens (mean, max, min, median or last),
// labelled source or target. [FromMatrices] and [Set.Add] build sets in
// memory; [Extract] computes them with a model; [Set.Point] returns one
// point's source and target rows, [sample][unit].
//
// # Extraction and the cache
//
// [Extract] runs the samples of a [Request] in batches through a
// [Forwarder] (an [engine.Model]) with capture and pooling, source samples
// first, checking its context between batches and reporting progress
// through internal/progress. With Request.Cache set the responses go to a
// folder instead of memory:
//
//	manifest.json               model, dataset, pooling, subsets, seed, samples,
//	                            steering, points, input hash, shard list, complete
//	shard-000000.safetensors    "label" [n] (0 source, 1 target) and one
//	shard-000001.safetensors    [n, units] float32 tensor per point
//
// Every file is written atomically (temporary file + rename) and the
// manifest is rewritten after each shard, so an interrupted run (a
// cancelled context, a crash) keeps what it finished and the next
// [Extract] with the same request continues from there; a complete cache is
// reused without running the model ([Open] reads one directly). A cache
// made for a different request is refused with the first differing field,
// never overwritten. [Set.Point] reads only that point's tensor from each
// shard, so a large set never sits whole in memory.
//
// # Fitting
//
// [AtOnce] fits every point from the unsteered model's responses.
// [Incremental] fits points one at a time in module order, extracting the
// responses of each with the maps already fitted for the earlier points
// active (ml-act's "incr" mode). Both take a [FitFunc], so this package
// does not depend on the estimators, and return a *transport.Transport.
package responses
