// Package hub finds model checkpoints: local folders and Hugging Face ids,
// read from the Hugging Face cache and downloaded into it when missing.
//
// # Names
//
// [Resolve] takes what a user types after Load:
//
//	dir, err := hub.Resolve(ctx, "google/gemma-2-2b", hub.Options{})
//	dir, err := hub.Resolve(ctx, "org/name@v1.0", hub.Options{})  // branch, tag or commit
//	dir, err := hub.Resolve(ctx, "./checkpoints/tiny", hub.Options{})
//
// A name that starts with /, . or ~, has more than one slash, or exists on
// disk is a folder; it must hold config.json, and the error says what it
// holds instead. Anything else is a hub id, "org/name" (or a bare legacy
// name such as "gpt2"), optionally pinned with @revision (default main).
//
// # Cache
//
// The cache is shared with huggingface_hub (Python) and huggingface-cli:
// [CacheDir] is $HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub. Resolve searches it, then the lower-precedence
// locations that exist ($HF_HOME/hub, the default), or only
// Options.CacheDir when set. Inside, a model lives in
//
//	models--org--name/refs/main            the commit hash "main" points to
//	models--org--name/snapshots/<commit>/  the files, symlinks into blobs/
//	models--org--name/blobs/<etag>         the contents
//
// and a revision that is a 40-hex commit hash names its snapshot directly.
// The returned folder is the snapshot; reading its files follows the links.
//
// # Download
//
// An id missing from the cache is downloaded from https://huggingface.co
// ($HF_ENDPOINT or Options.Endpoint to change it) unless Options.Offline or
// $HF_HUB_OFFLINE=1: config.json, the tokenizer and generation files that
// exist, and the weights (model.safetensors, or the index and its shards),
// or exactly Options.Files. The token ($HF_TOKEN, else the file written by
// huggingface-cli login) goes to the hub's host only, never to the CDN it
// redirects to. Files are written the way huggingface_hub writes them:
// each blob to a temporary file renamed when complete, then the snapshot
// link, then refs/<revision> once everything arrived, so an interrupted
// download leaves nothing half-written in the snapshot.
//
// Connecting and waiting for response headers are bounded by
// Options.Timeout (default [DefaultTimeout]), so on a machine without
// network Resolve fails in seconds. Its [*NotFoundError] is one line naming
// the id, the cache folders searched, why the download failed or that it
// was skipped offline, and how to get the files: run
// `huggingface-cli download org/name` where there is network and copy the
// cache, point HF_HUB_CACHE at a cache holding it, or pass a local folder.
//
// gomlx/go-huggingface was considered: it honours the same cache, but its
// downloads print progress to stdout and pull in pkg/errors, gofrs/flock and
// go-humanize, so this package talks to the hub's resolve endpoint with
// net/http directly.
package hub
