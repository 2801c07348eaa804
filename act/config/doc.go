// Package config composes pipeline configs the way Hydra and OmegaConf do
// for apple/ml-act, so that an ml-act user's command lines work unchanged:
//
//	c, err := config.Compose(config.Options{
//		Name:      "text_generation",
//		Base:      configs.FS,
//		Overrides: []string{"task_params=giraffes", "model.dtype=float32"},
//	})
//	n, err := c.Int("text_generation.num_sentences")
//
// # Composition
//
// The primary config's defaults list names, in order, _self_ (the primary
// file's own keys), config paths (wandb/act.yaml) and group options
// (model: gpt2); each is merged into the result in that order, maps key by
// key, anything else replaced. A group option lands under the group's name
// unless its header says otherwise (# @package _global_). Configs are read
// from Options.Dirs in order, then from Options.Base: a user's folder adds
// group options or replaces built-in files one by one.
//
// # Overrides
//
// Hydra's grammar: key=value changes an existing key (an unknown key is an
// error naming the nearest one), +key=value adds one, ++key=value adds or
// changes, ~key removes (~key=value only if it holds value). group=option
// chooses a config group's option (model=gpt2), +group=option adds a group,
// ~group drops it. Values are null, true/false, integers, floats, quoted or
// unquoted strings, [lists] and {dicts}, nested, with ${...}
// interpolations. A value must fit the type of the one it replaces (a
// number for a number — a float may replace an integer, as in Hydra's
// untyped configs, and a key that needs an integer says so when read —, a
// list for a list; anything for null; scalars become text for a string). Sweeps (a,b) and functions (choice(...)) need
// Hydra's multirun and are refused.
//
// # Interpolation
//
// OmegaConf's: ${a.b} from the top, ${.x} beside the key, ${..x} one
// level up; a string that is one interpolation takes the referenced value's
// type, text around interpolations makes a string. Resolvers: oc.env
// (${oc.env:DATA_DIR,/mnt/data}: a string, the default when unset),
// oc.select, oc.decode, and ml-act's dtype (${dtype:torch.bfloat16} names
// "bfloat16"). Values are resolved when read; Check resolves everything
// once; YAML prints the config as composed or resolved.
//
// Every error is an *Error whose message is one line.
package config
