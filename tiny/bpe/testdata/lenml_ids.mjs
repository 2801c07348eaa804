// Makes lenml_ids.json: the ids that @lenml/tokenizers (a JavaScript port of
// Hugging Face tokenizers; npm install @lenml/tokenizers@3.7.2) gives for
// texts under the shipped tokenizer. Copy it into a folder with node_modules and run it there:
//   node lenml_ids.mjs /path/to/tiny/data/tokenizer texts.txt > lenml_ids.json
import { TokenizerLoader } from "@lenml/tokenizers";
import fs from "fs";
const [dir, textsFile] = process.argv.slice(2);
const tok = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(dir + "/tokenizer.json")),
  tokenizerConfig: JSON.parse(fs.readFileSync(dir + "/tokenizer_config.json")),
});
const texts = JSON.parse(fs.readFileSync(textsFile, "utf8"));
const cases = texts.map(text => ({ text, ids: tok.encode(text, { add_special_tokens: false }) }));
console.log(JSON.stringify({ tokenizer: "@lenml/tokenizers 3.7.2", cases }, null, 1));
