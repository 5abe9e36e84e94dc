/** JSON Schemas for the OpenAPI document (and response serialisation). Kept next to the routes' DTOs in dto.ts. */

export const ErrorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Stable error code, e.g. UNSUPPORTED_IMAGE_TYPE' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

const ImageSchema = {
  type: 'object',
  properties: {
    key: { type: 'integer' },
    url: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
  },
} as const;

const productProperties = {
  id: { type: 'string' },
  title: { type: 'string' },
  brand: { type: ['string', 'null'] },
  category: { type: ['string', 'null'] },
  price: { type: ['number', 'null'] },
  currency: { type: ['string', 'null'] },
  attributes: { type: 'object', additionalProperties: { type: 'string' } },
  images: { type: 'array', items: ImageSchema },
} as const;

export const ProductSchema = { type: 'object', properties: productProperties } as const;

const BoxSchema = {
  type: 'object',
  required: ['x', 'y', 'width', 'height'],
  description: 'A region as fractions (0..1) of the query photo\'s width and height',
  properties: {
    x: { type: 'number', minimum: 0, maximum: 1 },
    y: { type: 'number', minimum: 0, maximum: 1 },
    width: { type: 'number', minimum: 0, maximum: 1 },
    height: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

const MatchSchema = {
  type: 'object',
  description: 'Product lookup evidence (present when lookup ran for this query)',
  properties: {
    exact: { type: 'boolean', description: 'This exact product (calibrated score ≥ 0.5), not just a similar one' },
    inliers: { type: 'integer', description: 'Geometrically verified local-feature matches' },
    layout: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'A flat rectangular product (a flag, a card) found by its colour layout: the share of the photo rectangle\'s colours it explains. Ranks, never exact',
    },
    shape: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'A flat drawing (a CD, a clock, a curved arrow) found by its shape and colours: the share of the photo\'s colours at the placed drawing it explains. Ranks, never exact',
    },
    outline: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'A coloured line drawing (a red outlined arrow) found by its strokes: the share of its stroke points on their colour in the photo, less that of the points beside them. Ranks, never exact',
    },
    edges: {
      type: 'number', minimum: 0, maximum: 1,
      description: 'Suggested by its edges (LINE-2D templates: line drawings, outlines, see-through products): the share of its template\'s gradient orientations the photo shows at its place. When nothing is exact, up to five such products follow the first five hits. Never exact',
    },
    box: { anyOf: [BoxSchema, { type: 'null' }], description: 'Where the product is in the query photo' },
  },
} as const;

export const HitSchema = {
  type: 'object',
  properties: {
    ...productProperties,
    score: {
      type: 'number',
      description: 'Similarity, higher is better (cosine similarity for cosine extractors; with product lookup, a calibrated score where ≥ 0.5 means exact match)',
    },
    distance: { type: 'number' },
    matchedImage: ImageSchema,
    match: MatchSchema,
  },
} as const;

export const HitListSchema = {
  type: 'object',
  properties: {
    results: { type: 'array', items: HitSchema },
    exactMatch: { type: ['string', 'null'], description: 'Id of the top hit when it is this exact product (product lookup), else null' },
    subject: {
      anyOf: [BoxSchema, { type: 'null' }],
      description: 'Photo searches: the main subject (of the photo, or of `crop`) the image features described, cut out of its background (fractions of the photo); null when none was (a product shot on a clean backdrop, or no subject stands out)',
    },
    tookMs: { type: 'number' },
  },
} as const;

export const ProductListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: ProductSchema }, total: { type: 'integer' } },
} as const;

const FilterJsonSchema = {
  type: 'object',
  properties: {
    category: { type: 'array', items: { type: 'string' } },
    brand: { type: 'array', items: { type: 'string' } },
    priceMin: { type: 'number' },
    priceMax: { type: 'number' },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const SearchBodyJsonSchema = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'http(s) URL of a query image' },
    productId: { type: 'string', description: 'Search for products similar to this one' },
    k: { type: 'integer', minimum: 1, maximum: 200, default: 12 },
    filter: FilterJsonSchema,
    excludeIds: { type: 'array', items: { type: 'string' } },
    notLikeIds: { type: 'array', items: { type: 'string' }, description: 'Products the shopper rejected ("not like this")' },
    crop: {
      ...BoxSchema,
      description: 'Search only this region of the photo (uploaded image or url): fractions, width/height > 0, x + width ≤ 1, y + height ≤ 1',
    },
  },
} as const;

/** Query-string parameters shared by GET endpoints that rank or list products. */
export const FilterQuerySchema = {
  type: 'object',
  properties: {
    k: { type: 'integer', minimum: 1, maximum: 200 },
    category: { type: 'string', description: 'Comma-separated categories' },
    brand: { type: 'string', description: 'Comma-separated brands' },
    priceMin: { type: 'number' },
    priceMax: { type: 'number' },
    exclude: { type: 'string', description: 'Comma-separated product ids to leave out' },
    notLike: { type: 'string', description: 'Comma-separated product ids "not like this"' },
  },
  additionalProperties: true,
} as const;

export const TextSearchBodyJsonSchema = {
  type: 'object',
  required: ['text'],
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 1000, description: 'What the shopper is looking for, e.g. "red running shoes"' },
    k: { type: 'integer', minimum: 1, maximum: 200, default: 12 },
    filter: FilterJsonSchema,
    excludeIds: { type: 'array', items: { type: 'string' } },
    notLikeIds: { type: 'array', items: { type: 'string' }, description: 'Products the shopper rejected ("not like this")' },
  },
  additionalProperties: false,
} as const;

export const TextSearchStatusSchema = {
  type: 'object',
  properties: {
    available: { type: 'boolean', description: 'The active extractor has a text tower (CLIP-class ONNX model)' },
    extractor: { type: 'string' },
  },
} as const;
