// llama.cpp side of `actsh bench`: node-llama-cpp's prebuilt CPU binary on a GGUF of the bench's GPT-2 shape.
//
// Usage: node llamacpp.mjs MODEL.gguf --nlc-dir DIR [--threads 2] [--reps 1] [--prefill B,T] [--decode B,P,N]...
//   DIR holds node_modules/node-llama-cpp (npm i -E --ignore-scripts node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1).
//
// Adapted from shared/tools/llamacpp/bench.mjs; each measurement is one warm-up then --reps timed runs:
//   prefill B,T: B sequences of T random token ids evaluated concurrently (one llama_decode of B·T tokens), logits
//                only for each sequence's last token (what node-llama-cpp asks llama.cpp for); tokens/s = B·T / time.
//   decode B,P,N: greedy generation of N tokens after a P-token random prompt for B sequences in one context; with
//                "full" batching every step is one llama_decode of all B sequences; tokens/s = B·N / (prompt pass +
//                N−1 steps), as the actsh and PyTorch decode rows count.
// Prints one JSON object: {"llama": release, "nlc": version, "cpu_lib": ..., "results": [{workload, batch, len,
// new, warmup_s, secs, calls}]}.
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
};
const opts = (name) => argv.flatMap((a, i) => (a === name ? [argv[i + 1]] : []));
const modelPath = argv[0];
const THREADS = Number(opt("--threads", 2));
const REPS = Number(opt("--reps", 1));
const nlcDir = path.resolve(opt("--nlc-dir", "."));
const nlcPkg = path.join(nlcDir, "node_modules", "node-llama-cpp");
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(path.join(nlcPkg, "dist", "index.js")).href);
const nlcVersion = JSON.parse(fs.readFileSync(path.join(nlcPkg, "package.json"), "utf8")).version;

function rng(seed) { // mulberry32
    return () => {
        seed = (seed + 0x6D2B79F5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rand = rng(1234);

const llama = await getLlama({
    gpu: false, build: "never", skipDownload: true, usePrebuiltBinaries: true, progressLogs: false,
    maxThreads: THREADS, logLevel: LlamaLogLevel.error
});
const model = await llama.loadModel({modelPath, useMmap: true});
const V = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 50257;
const randTokens = (n) => Array.from({length: n}, () => Math.floor(rand() * (V - 1))); // never <|endoftext|>
const cpuLib = fs.readFileSync("/proc/self/maps", "utf8").split("\n")
    .map((l) => l.match(/(libggml-cpu[^/\s]*\.so)/)?.[1]).find(Boolean) ?? "?";

// A context whose batches wait until every sequence has a token queued (bench.mjs's --batching full), so each
// decode step is one llama_decode of all sequences.
async function newContext(seqs, ctxPerSeq, batchSize) {
    let deferrals = 0;
    const allSequences = ({items, size}) => {
        if (items.length < seqs && deferrals < 10000) {
            deferrals++;
            return [];
        }
        deferrals = 0;
        const res = [];
        for (const item of items) {
            const processAmount = Math.min(item.tokens.length, size);
            if (processAmount <= 0) break;
            res.push({item, processAmount});
            size -= processAmount;
        }
        return res;
    };
    const ctx = await model.createContext({
        sequences: seqs, contextSize: ctxPerSeq, batchSize, flashAttention: "auto",
        threads: {ideal: THREADS, min: THREADS}, ignoreMemorySafetyChecks: true,
        batching: {itemPrioritizationStrategy: allSequences}
    });
    let calls = 0;
    const orig = ctx._ctx.decodeBatch.bind(ctx._ctx);
    Object.defineProperty(ctx._ctx, "decodeBatch", {value: (...a) => (calls++, orig(...a))});
    return {ctx, sequences: Array.from({length: seqs}, () => ctx.getSequence()), calls: () => calls};
}

async function timeRuns(fn) {
    const warm = await fn();
    const secs = [];
    for (let i = 0; i < REPS; i++) secs.push(await fn());
    return {warmup_s: warm, secs};
}

async function prefill(B, T) {
    const {ctx, sequences, calls} = await newContext(B, T + 256, B * T);
    const prompts = sequences.map(() => randTokens(T));
    let c0 = 0, n = 0;
    const r = await timeRuns(async () => {
        await Promise.all(sequences.map((s) => s.clearHistory()));
        c0 = calls();
        const t0 = performance.now();
        await Promise.all(sequences.map((s, i) => s.evaluateWithoutGeneratingNewTokens(prompts[i])));
        n = calls() - c0;
        return (performance.now() - t0) / 1000;
    });
    await ctx.dispose();
    return {workload: "prefill", batch: B, len: T, ...r, calls: n};
}

async function decode(B, P, N) {
    const {ctx, sequences, calls} = await newContext(B, P + N + 64, Math.max(512, B * P));
    const prompts = sequences.map(() => randTokens(P));
    let n = 0;
    const r = await timeRuns(async () => {
        await Promise.all(sequences.map((s) => s.clearHistory()));
        const c0 = calls();
        const t0 = performance.now();
        const res = await Promise.all(sequences.map(async (s, i) => {
            const out = [];
            for await (const tok of s.evaluate(prompts[i], {temperature: 0, yieldEogToken: true})) {
                out.push(tok);
                if (out.length >= N) break;
            }
            return out;
        }));
        const t = (performance.now() - t0) / 1000;
        for (const o of res) if (o.length !== N) throw new Error(`a sequence generated ${o.length} tokens, want ${N}`);
        n = calls() - c0;
        return t;
    });
    await ctx.dispose();
    return {workload: "decode", batch: B, len: P, new: N, ...r, calls: n};
}

const results = [];
for (const s of opts("--prefill")) {
    const [B, T] = s.split(",").map(Number);
    results.push(await prefill(B, T));
}
for (const s of opts("--decode")) {
    const [B, P, N] = s.split(",").map(Number);
    results.push(await decode(B, P, N));
}
const rel = llama.llamaCppRelease;
const fileType = {0: "f32", 1: "f16"}[model.fileInfo.metadata.general?.file_type] ?? "?";
process.stdout.write(JSON.stringify({llama: rel.release, nlc: nlcVersion, cpu_lib: cpuLib, dtype: fileType, threads: THREADS, results}) + "\n");
await model.dispose();
await llama.dispose();
