/**
 * Manifests for common public encoders, as JSON data (the same shape as a user's manifest.json).
 * File names, sizes and preprocessing were checked against the public Hugging Face repositories
 * and their preprocessor configs where we could read them; what could not be checked from this
 * machine (no access to the hub) is said in each `verification`.
 */
export const BUILTIN_MANIFESTS: readonly unknown[] = [
  {
    name: 'clip-vit-b32',
    description: 'OpenAI CLIP ViT-B/32 (image + text towers, 512-d shared space): image search and text search',
    source: { repo: 'Xenova/clip-vit-base-patch32', revision: 'main' },
    license: 'MIT (OpenAI CLIP)',
    downloadSize: '≈ 600 MB (vision ≈ 350 MB + text ≈ 250 MB, fp32)',
    verification:
      'Tensor names pixel_values→image_embeds [n,512] and input_ids→text_embeds [n,512] as documented for the ' +
      'split CLIP ONNX export (image-encoder / text-encoder); CLIP mean/std and 224 shortest-side + centre crop from ' +
      'the CLIP processor. The Xenova file paths onnx/vision_model.onnx and onnx/text_model.onnx follow transformers.js ' +
      'conventions but were not listed from this machine; sizes unverified. Resampling is bilinear here (CLIP used bicubic).',
    dimensions: 512,
    metric: 'cosine',
    normalize: true,
    image: {
      model: 'onnx/vision_model.onnx',
      input: {
        name: 'pixel_values', width: 224, height: 224, layout: 'NCHW', channelOrder: 'RGB', valueRange: '0-1',
        mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
      },
      resize: { shortestSide: 224 },
      output: { name: 'image_embeds', pooling: 'none' },
    },
    text: {
      model: 'onnx/text_model.onnx',
      tokenizer: 'tokenizer.json',
      inputIdsName: 'input_ids',
      attentionMaskName: 'attention_mask',
      contextLength: 77,
      output: { name: 'text_embeds', pooling: 'none' },
    },
  },
  {
    name: 'dinov2-small',
    description: 'Meta DINOv2 ViT-S/14 (self-supervised, 384-d CLS embedding): strong image-to-image similarity, no text',
    source: { repo: 'Xenova/dinov2-small', revision: 'main' },
    license: 'Apache-2.0',
    downloadSize: '88.5 MB',
    verification:
      'onnx/model.onnx (88.5 MB) seen in the repository listing. Input pixel_values and output last_hidden_state ' +
      '[n, tokens, 384] (CLS first) as in transformers Dinov2Model; 256 shortest side + 224 centre crop and ImageNet ' +
      'mean/std from the DINOv2 image processor. Not run here (no hub access).',
    dimensions: 384,
    metric: 'cosine',
    normalize: true,
    image: {
      model: 'onnx/model.onnx',
      input: { name: 'pixel_values', width: 224, height: 224, layout: 'NCHW', channelOrder: 'RGB', valueRange: '0-1', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      resize: { shortestSide: 256 },
      output: { name: 'last_hidden_state', pooling: 'cls' },
    },
  },
  {
    name: 'mobilenetv3-large',
    description: 'timm MobileNetV3-Large 1.0 (ImageNet-1k): small and fast; its 1000 class scores serve as the embedding',
    source: { repo: 'optimum/mobilenetv3_large_100.ra_in1k', revision: 'main' },
    license: 'Apache-2.0',
    downloadSize: '21.9 MB',
    verification:
      'model.onnx (21.9 MB) seen in the repository listing. Input pixel_values and output logits [n, 1000] assumed ' +
      'from the Optimum timm export (a classifier: no pooled-feature output); 256 shortest side + 224 crop ' +
      '(crop_pct 0.875) and ImageNet mean/std from the timm config. Not run here (no hub access).',
    dimensions: 1000,
    metric: 'cosine',
    normalize: true,
    image: {
      model: 'model.onnx',
      input: { name: 'pixel_values', width: 224, height: 224, layout: 'NCHW', channelOrder: 'RGB', valueRange: '0-1', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      resize: { shortestSide: 256 },
      output: { name: 'logits', pooling: 'none' },
    },
  },
];
