/**
 * GET /v1/models/catalog: a short, curated list of models that run well on one
 * machine with Ollama, to choose what to pull. Static on purpose: the Ollama
 * library has no stable listing API. Sizes are the download size of the
 * default quantisation (Q4_K_M unless noted), rounded; check before relying on them.
 */
export interface CatalogEntry {
  /** The name to pull. */
  name: string;
  family: string;
  parameters: string;
  /** Approximate download size in bytes. */
  sizeBytes: number;
  quantization: string;
  contextLength: number;
  capabilities: ('chat' | 'embeddings' | 'vision' | 'tools' | 'code')[];
  description: string;
}

const GB = 1_000_000_000;
const MB = 1_000_000;

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  { name: 'llama3.2:1b', family: 'llama', parameters: '1.2B', sizeBytes: 1.3 * GB, quantization: 'Q8_0', contextLength: 131_072, capabilities: ['chat', 'tools'], description: 'Meta Llama 3.2, smallest: fast tests and demos.' },
  { name: 'llama3.2:3b', family: 'llama', parameters: '3.2B', sizeBytes: 2.0 * GB, quantization: 'Q4_K_M', contextLength: 131_072, capabilities: ['chat', 'tools'], description: 'Meta Llama 3.2, a good small default.' },
  { name: 'llama3.1:8b', family: 'llama', parameters: '8.0B', sizeBytes: 4.9 * GB, quantization: 'Q4_K_M', contextLength: 131_072, capabilities: ['chat', 'tools'], description: 'Meta Llama 3.1, general purpose.' },
  { name: 'qwen2.5:7b', family: 'qwen2', parameters: '7.6B', sizeBytes: 4.7 * GB, quantization: 'Q4_K_M', contextLength: 32_768, capabilities: ['chat', 'tools'], description: 'Alibaba Qwen 2.5, strong multilingual chat.' },
  { name: 'qwen2.5-coder:7b', family: 'qwen2', parameters: '7.6B', sizeBytes: 4.7 * GB, quantization: 'Q4_K_M', contextLength: 32_768, capabilities: ['chat', 'code', 'tools'], description: 'Qwen 2.5 tuned for code: a fit for autorun.' },
  { name: 'mistral:7b', family: 'llama', parameters: '7.2B', sizeBytes: 4.1 * GB, quantization: 'Q4_0', contextLength: 32_768, capabilities: ['chat', 'tools'], description: 'Mistral 7B Instruct.' },
  { name: 'gemma2:2b', family: 'gemma2', parameters: '2.6B', sizeBytes: 1.6 * GB, quantization: 'Q4_0', contextLength: 8_192, capabilities: ['chat'], description: 'Google Gemma 2, small.' },
  { name: 'phi3:mini', family: 'phi3', parameters: '3.8B', sizeBytes: 2.2 * GB, quantization: 'Q4_0', contextLength: 131_072, capabilities: ['chat'], description: 'Microsoft Phi-3 Mini.' },
  { name: 'deepseek-r1:7b', family: 'qwen2', parameters: '7.6B', sizeBytes: 4.7 * GB, quantization: 'Q4_K_M', contextLength: 131_072, capabilities: ['chat'], description: 'DeepSeek R1 distilled reasoning model (thinks aloud).' },
  { name: 'llava:7b', family: 'llama', parameters: '7B', sizeBytes: 4.7 * GB, quantization: 'Q4_0', contextLength: 32_768, capabilities: ['chat', 'vision'], description: 'LLaVA: images and text.' },
  { name: 'nomic-embed-text', family: 'nomic-bert', parameters: '137M', sizeBytes: 274 * MB, quantization: 'F16', contextLength: 8_192, capabilities: ['embeddings'], description: 'Text embeddings, 768 dimensions.' },
  { name: 'mxbai-embed-large', family: 'bert', parameters: '334M', sizeBytes: 670 * MB, quantization: 'F16', contextLength: 512, capabilities: ['embeddings'], description: 'Larger text embeddings, 1024 dimensions.' },
];
