// The peer that users write instead of promptbatch: the official openai Node.js SDK and a pool of async
// workers over the prompts, each answer appended to a JSONL file as it arrives. Benchmarks only.
// Usage: node bench/peer.mjs INPUT.csv OUTPUT.jsonl BASE_URL MODEL WORKERS [stream]
// With "stream": each answer is streamed (stream: true, usage in the last chunk) and put together from
// its chunks' content, as users of the SDK do with reasoning models.
import fs from 'node:fs';
import OpenAI from 'openai';

const [input, output, baseURL, model, workersText, mode] = process.argv.slice(2);
const stream = mode === 'stream';
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

// a streamed answer put together from its chunks, in the shape of a plain one
async function streamed(messages) {
  const chunks = await client.chat.completions.create({ model, messages, stream: true,
    stream_options: { include_usage: true } });
  let content = '';
  let usage;
  for await (const chunk of chunks) {
    content += chunk.choices[0]?.delta?.content ?? '';
    usage = chunk.usage ?? usage;
  }
  return { choices: [{ message: { content } }], usage };
}

async function worker() {
  while (next < prompts.length) {
    const { id, prompt } = prompts[next++];
    const started = Date.now();
    try {
      const messages = [{ role: 'user', content: prompt }];
      const r = stream ? await streamed(messages) : await client.chat.completions.create({ model, messages });
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
