/** Port: turns a text query into a vector in the same space as the active image extractor's vectors. */
export interface TextEmbedder {
  readonly dimensions: number;
  embed(text: string): Promise<Float32Array>;
}

/** Longest text query accepted (characters): CLIP reads 77 tokens, so more is never used. */
export const MAX_TEXT_QUERY_LENGTH = 1000;
