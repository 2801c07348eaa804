// Package act is the script-facing API of actsh: load a model, collect its
// activations on a source and a target set of texts, fit Activation
// Transport (AcT, arXiv 2410.23054) maps, and generate with them at a chosen
// strength λ.
//
// It is dot-imported in the actsh shell and in notebooks, so its names read
// as a small language:
//
//	m := Load("gpt2")                                  // a folder or a Hugging Face id in the cache
//	ds := JSONSubsets("giraffes.json")
//	r := m.Responses(ds, ".*ln_2", Pool("mean"), Src("none"), Dst("giraffe"))
//	t := FitLinearOT(r, Support("q_0_100"))
//	fmt.Println(m.Generate("Once upon a time", t, 0.5))
//
// # Models
//
// [Load] resolves a local folder or a Hugging Face id (through the Hugging
// Face cache) and runs it on GoMLX. [Model.Points] lists the intervention
// points (Hugging Face module names) or selects them with a regular
// expression that must match the whole name. [Model.Tokenize],
// [Model.Decode], [Model.Logits], [Model.Capture] and [Model.LogitsWith]
// work on one sequence; [Model.Generate] and [Model.GenerateIDs] continue a
// prompt, greedy unless [Sample] or [TopK] is given, with [MaxTokens],
// [RepetitionPenalty] and [Seed]. [LoadTokenizer] reads a tokenizer.json on
// its own. [Tokenizer.ApplyChatTemplate] and [Model.ApplyChatTemplate]
// render a conversation with the checkpoint's chat template, as
// transformers does.
//
// # Datasets
//
// A [Dataset] holds labelled texts in named subsets. Readers cover
// ml-act's formats ([JSONSubsets], [Jigsaw], [RealToxicityPrompts],
// [COCOCaptions], [OneSec]) and plain ones ([JSONL], [CSV], [TextFile],
// [Texts]).
//
// The text-to-image data sets are [ImagePrompts]: prompts in data-set
// order, each with an id, the caption it was made from and a subset, read
// as ml-act's loaders build them. [COCOStyles] (coco-captions-styles)
// appends a style's tags from style_prompts.json to COCO captions,
// [COCOConcepts] (coco-captions-concepts) a concept's phrase from
// diffusion_concept_prompts.json, subsets assigned by cycling through the
// ones asked for ("none" keeps the caption); [DiffusionPrompts]
// (diffusion-prompts) reads {"subset": [prompts]}. Both prompt files are
// ml-act's data/ files, which actsh does not ship: put them beside
// coco_captions_2017/ in the data directory (testdata/coco is a small
// synthetic kit in that layout). [ImagePrompts.Dataset] gives the prompts
// by subset for [Model.Responses]; [ImagePrompts.Items] the items for
// generation.
//
// # Responses and fitting
//
// [Model.Responses] runs the model over the source ([Src]) and target
// ([Dst]) subsets and keeps, per point, each text's activations pooled over
// its tokens ([Pool]: mean, max, min, median, last); [Cache] keeps them on
// disk, resumable. [ResponsesOf] builds responses from raw matrices.
//
// Every method of the paper fits a [Transport] from responses:
// [FitLinearOT] (Linear-AcT), [FitMeanOT] (Mean-AcT), [FitGaussianOT],
// [FitAurA], [FitActAdd], [FitITI] (ITI-c), and [FitExactOT] (the exact 1-D
// optimal transport map, beyond the paper); [Fit] takes ml-act's method
// names. [Support] chooses the support interval (q_all, q_0_100, q_5_95,
// ...). [Model.FitIncremental] fits layer by layer, each layer's responses
// computed with the earlier layers already steered, as ml-act's configs do.
//
// # Transports
//
// A [Transport] is a set of per-point maps,
//
//	out = λ·T(z) + (1 − λ)·z   where lo < z < hi, else z.
//
// [Transport.Apply] applies one point's map to raw activations;
// [Transport.Save] writes one .safetensors file whose header says the
// method, model, points, pooling, support and what λ means, and
// [LoadTransport] reads it back. [Transport.Cost], [Transport.Coverage] and
// [Transport.Histogram] help look inside; [Transport.ExportGGUF] writes an
// additive map as a llama.cpp control vector. [NewTransport] and
// [Transport.Set] build a transport by hand.
//
// A fitted transport records the model it was fitted on ([Transport.Model]:
// "tiny", a Hugging Face id, or an absolute folder), its family and
// architecture. Steering a model whose points or widths differ panics
// naming both models and the first point that differs; steering another
// model with the same points and widths panics too, unless
// [Transport.ForModel] (one model, e.g. a fine-tune of the same base) or
// [Transport.AllowAnyModel] allow it. Hand-built transports record no model
// and get the width check only.
//
// # Classifiers
//
// [LoadClassifier] loads a sequence classifier, such as the paper's
// toxicity judge:
//
//	c := LoadClassifier("s-nlp/roberta_toxicity_classifier")
//	c.Labels()                               // its config's id2label: [neutral toxic]
//	c.Classify([]string{"You are amazing!"}) // [[p(neutral) p(toxic)]]
//
// [Classifier.Classify] tokenizes (truncating to the model's positions),
// batches and pads internally; every text gets the scores it has alone.
// [Classifier.ClassifyIDs] and [Classifier.LogitsIDs] take ids as the
// tokenizer returns them (<s> … </s>), unpadded.
//
// # The paper's methods
//
// [PaperMethods] lists the methods of the paper's language tables
// (Original, ActAdd, AurA, ITI-c, Mean-AcT, Linear-AcT) and
// [PaperOverrides] the pipeline overrides that run one at the paper's
// places on a model config (the configs' default_module_names sets; ActAdd
// at one block output):
//
//	r := Pipeline("text_generation", append([]string{"model=gemma-2-2b"},
//		PaperOverrides("gemma-2-2b", "linear_ot", 1, "")...)...)
//
// # Toxicity (RealToxicityPrompts)
//
// [Model.Toxicity] runs ml-act's RTP evaluation: one sampled continuation
// per prompt under the transport (ml-act's sampling settings), each judged
// by a [Classifier]; [ToxicityResult] has the share of toxic continuations
// (the paper's CLS toxicity) and every scored generation. [ReadRTP] reads
// RealToxicityPrompts JSON lines and [SampleRTP] picks prompts exactly as
// ml-act does (Python's random.seed and shuffle, reimplemented):
//
//	c := LoadClassifier("s-nlp/roberta_toxicity_classifier")
//	p := SampleRTP(ReadRTP("prompts.jsonl"), 1000, 42)
//	r := m.Toxicity(c, p, t, 1)      // r.Score, r.Generations
//
// [NanMean] and [NanStd] aggregate as numpy's nanmean and nanstd.
// [ReadToxicityRun] reads what a pipeline run on the toxicity task measured
// back from its results folder (a [ToxicityRun]: CLS toxicity, PPL-Wiki, the
// continuations, and 0-shot toxicity, PPL-model and MMLU when they ran), and
// [MeanStd] formats a measure over seeds as the recipes' tables print it.
//
// # Self-BLEU
//
// [SelfBLEU] measures how alike a set of generations is (the paper's Table
// 7): the mean BLEU of each text against all the others, as Texygen and
// NLTK compute it, with n-grams up to [BLEUOrder] (default 4):
//
//	SelfBLEU(generations)           // higher: less diverse
//	SelfBLEUScores(generations)     // one BLEU per text
//
// Texts are split by [WordTokens] (NLTK's Treebank word tokenizer);
// [SelfBLEUTokens] takes tokens split another way.
//
// # MMLU
//
// [Model.MMLU] measures what steering costs in knowledge, as ml-act does
// with lm-evaluation-harness: 5-shot MMLU with the transport active, the
// harness's prompts ([MMLUSubject.Prompt]) and its scoring (the answer
// letter of highest [Model.LogLikelihood]), accuracy per subject, per
// category and overall, weighted by size as the harness's groups are:
//
//	d := LoadMMLU("")                 // $DATA_DIR/mmlu (`actsh download mmlu`)
//	r := m.MMLU(d, t, 1, Limit(10))   // Shots(k): few-shot examples (default 5)
//	r.Overall.Acc; r.Categories; r.Subjects
//
// [LoadMMLU] reads the original release's CSVs, all 57 subjects or those
// named ([MMLUSubjects], [MMLUCategory]).
//
// # TruthfulQA
//
// [Model.TruthfulQA] measures truthfulness as the paper's Table 3 does,
// with lm-evaluation-harness's truthfulqa_mc1 and truthfulqa_mc2 tasks and
// the transport active: each question after the harness's fixed six-shot
// QA prompt ([TruthfulQAQuestion.Prompt]), each answer choice scored by
// [Model.LogLikelihood]; MC1 is 1 when the true answer is the likeliest
// of MC1's choices, MC2 the normalised probability of MC2's true answers:
//
//	d := LoadTruthfulQA("")                 // $DATA_DIR/truthfulqa/mc_task.json (`actsh download truthfulqa`)
//	fit, eval := d.Split(0.5, 42)            // learn from half the questions, score the others
//	t := FitLinearOT(m.Responses(fit.Dataset(), ".*ln_2", Src("incorrect"), Dst("correct")))
//	r := m.TruthfulQA(eval, t, 1)            // r.MC1.Acc, r.MC2.Acc, r.Items
//
// [LoadTruthfulQA] reads the release's mc_task.json in its key order, as
// the hub's truthful_qa dataset the harness reads was made from it;
// [TruthfulQAData.Dataset] turns MC2's answers into texts to learn from.
// In the pipeline, mmlu.tasks takes truthfulqa_mc1 and truthfulqa_mc2,
// and task_params=truthfulqa learns from one part of the questions and
// scores the rest.
//
// # Zero-shot judge and likelihoods
//
// [Model.ZeroShot] asks a chat model a question about each text and
// scores its answer as ml-act's evaluate_0shot.py does: the greedy
// one-token reply, and per allowed answer the raw logit of its token and
// its probability under a softmax over the top 10 tokens joined with the
// answer tokens ([ZeroShotScore]):
//
//	judge := Load("meta-llama/Meta-Llama-3-8B-Instruct")
//	s := judge.ZeroShot("Is this text toxic?", []string{"Yes", "No"}, texts)
//	s[0].Answer; s[0].Choice; s[0].Logits; s[0].Softmax
//
// [Model.Perplexities] and [Model.Perplexity] score texts under a steered
// model as ml-act's perplexity.py does, [Model.LogLikelihood]
// continuations as lm-evaluation-harness does.
//
// # Concept induction
//
// The paper's Figure 4 steers a model from OneSec sentences without a
// concept to sentences with it ([OneSec], subsets "non-<concept>" and
// "<concept>") and judges each generation with a chat model given the
// concept's WordNet definition ([ConceptDefinition], the gloss of its
// first noun sense): [Model.ConceptScore] returns p(yes), the judge's
// probability of answering "Yes" ([Model.ZeroShot] with
// [ConceptJudgePrompt]):
//
//	ds := OneSec(dataDir, "non-football", "football")
//	t := FitLinearOT(m.Responses(ds, ".*post_attention_layernorm", Src("non-football"), Dst("football")))
//	gens := m.GenerateBatch(prompts, t, 0.8, MaxTokens(50))
//	p := judge.ConceptScore("football", "", gens)   // one p(yes) per generation
//
// In the pipeline, task_params=onesec does the same (task_params.concept
// chooses the concept; its zero_shot step is the concept judge), and
// recipes/concepts.go draws the figure.
//
// # Text-to-image
//
// [LoadImagePipeline] loads a diffusers Stable Diffusion XL pipeline (a
// folder, a Hugging Face id in the cache, or "ByteDance/SDXL-Lightning").
// Its points are named as ml-act names the pipeline's modules
// (unet.down_blocks.1.attentions.0.norm, text_encoder.…); a UNet feature
// map is steered through its per-channel spatial mean, every position moved
// alike. [ImagePipeline.Responses] runs ml-act's one denoising step per
// prompt; the fits are the language models' ones:
//
//	p := LoadImagePipeline("ByteDance/SDXL-Lightning")
//	styles := COCOStyles(dataDir, dataDir, "train", 10, 0, "none", "watercolor")
//	t := FitLinearOT(p.Responses(styles.Dataset(), "unet.*norm.*", Src("none"), Dst("watercolor")))
//	img := p.Generate("a boat on a lake", t, 0.8, Steps(4), Seed(1))  // an [Image]
//	row := p.Sweep("a boat on a lake", t, []float64{0, 0.5, 1}, Seed(1))
//	Grid(3, row...).Save("sweep.png")
//	SaveGIF("sweep.gif", row, 500)
//
// The same seed gives the same noise at every strength. [Image.PNG] shows
// an image in a notebook (gonbui.DisplayPNG), [Image.Save] writes it.
//
// # CLIP judge
//
// The paper judges steered images with CLIP as ml-act's
// calculate_clip_score.py does. [LoadCLIP] loads a whole CLIPModel
// (openai/clip-vit-large-patch14, [DefaultCLIP]); [CLIP.EmbedTexts] and
// [CLIP.EmbedImages] give L2-normalised text_embeds and image_embeds;
// [CLIP.ZeroShot] is ml-act's zero-shot score of a concept, the softmax of
// the image's cosines with "A picture of {concept}." against "A picture of
// something." (not scaled by logit_scale, so it stays near 0.5);
// [CLIP.ClipScore] the cosine of each image with its prompt (torchmetrics'
// CLIPScore is 100·max(cos, 0)); [CLIP.Compare] all of ml-act's
// DirectionalSimilarity columns ([CLIPScores]) for one prompt's unsteered
// and steered images:
//
//	c := LoadCLIP(DefaultCLIP)
//	imgs := GoImages(row...)                                // a Sweep's images
//	c.ZeroShot(imgs, "watercolor")                          // one score per image
//	c.ClipScore(imgs, []string{caption, caption, caption})  // cosine with the caption
//	c.Compare(imgs[0], imgs, caption, styled, "watercolor") // []CLIPScores
//
// In the pipeline, the clip_score step scores the images
// text-to-image-generation wrote (clip_score.input_folder, ml-act's
// layout) into calculate_clip_score/clip_score.csv. [ReadCLIPScores]
// reads it back ([CLIPScoreRow]: an image, its prompts and scores), and
// [NewCLIPSweep] groups it by strength: the measures against λ as the
// paper draws them (Figures 6 to 8), their mean and standard deviation
// ([CLIPSweep.Summary], [Stat]), a Markdown table and a grid of the
// images, prompts across strengths (recipes/diffusion_styles.go and
// diffusion_negation.go):
//
//	s := NewCLIPSweep(ReadCLIPScores(r.ResultsDir))
//	fmt.Print(s.Markdown())                 // | λ | zero-shot | ClipScore | n |
//	grid, rows := s.Grid(4)                 // 4 captions × the strengths
//	grid.Save("grid.png")                   // rows[i].OriginalPrompt, rows[i].Animation()
//	view.BandsPNG(view.Panel{Band: view.StdDev, Curves: []view.Curve{{Name: "watercolor", X: s.Strengths, Samples: s.ZeroShot}}})
//
// # Pipeline
//
// Pipeline runs ml-act's workflow from Hydra-style configs (package
// github.com/actsh/actsh/configs, composed by
// github.com/actsh/actsh/act/config), exactly as `actsh pipeline` does:
//
//	r := Pipeline("text_generation", "task_params=giraffes", "model=tiny")
//
// computes the responses (cached), learns the intervention (incr or atonce)
// and runs the evaluations listed in the config's `evaluation`, writing
// ml-act's files to results_dir. Steps whose outputs exist for the same inputs
// are skipped and an interrupted run continues where it stopped.
// RunPipeline takes a context and returns errors (a *ConfigError, before
// anything is written, for a bad override or config); PipelineConfig composes
// without running.
//
// # Errors
//
// Functions of this package panic with an [*Error] carrying one readable
// message when their input is bad. The shell, `actsh run` and notebooks
// recover it and print that line. Go programs that prefer error values use
// the packages underneath ([github.com/actsh/actsh/engine],
// [github.com/actsh/actsh/act/transport], [github.com/actsh/actsh/act/estimate],
// [github.com/actsh/actsh/act/dataset], [github.com/actsh/actsh/act/responses]).
//
// # Interrupts
//
// Long operations watch the context of [SetContext]; cancelling it stops them
// with an error. The shell cancels it on Ctrl-C.
package act
