// The peer that users write instead of promptbatch: the official openai Node.js SDK and a pool of async
// workers over the prompts, each answer appended to a JSONL file as it arrives. Benchmarks only.
// Usage: node bench/peer.mjs INPUT.csv OUTPUT.jsonl BASE_URL MODEL WORKERS
import fs from 'node:fs';
import OpenAI from 'openai';

const [input, output, baseURL, model, workersText] = process.argv.slice(2);
const workers = Number(workersText ?? 64);
// the bench's prompt files: a header, then id,"prompt" per line (no quotes inside prompts)
const prompts = fs.readFileSync(input, 'utf8').split('\n').slice(1).filter((l) => l.length > 0).map((line) => {
  const comma = line.indexOf(',');
  return { id: line.slice(0, comma), prompt: line.slice(comma + 1).replace(/^"|"$/g, '') };
});
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY ?? 'none', maxRetries: 6, timeout: 120_000 });
const out = fs.createWriteStream(output);
let next = 0;
let failed = 0;

async function worker() {
  while (next < prompts.length) {
    const { id, prompt } = prompts[next++];
    const started = Date.now();
    try {
      const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
      out.write(JSON.stringify({ id, status: 'ok', answer: r.choices[0].message.content,
        prompt_tokens: r.usage?.prompt_tokens, completion_tokens: r.usage?.completion_tokens,
        latency_ms: Date.now() - started }) + '\n');
    } catch (e) {
      failed++;
      out.write(JSON.stringify({ id, status: 'failed', error: String(e), latency_ms: Date.now() - started }) + '\n');
    }
  }
}

await Promise.all(Array.from({ length: workers }, worker));
await new Promise((resolve) => out.end(resolve));
if (failed > 0) {
  console.error(`${failed} of ${prompts.length} failed`);
  process.exitCode = 3;
}
