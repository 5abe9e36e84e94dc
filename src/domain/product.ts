/** A product as the merchant's catalog describes it (the unit shoppers buy). */
export interface Product {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  /** Every catalog column we do not model explicitly, as text. */
  attributes: Record<string, string>;
  images: ProductImage[];
  createdAt: string;
  updatedAt: string;
}

/** One image of a product. `key` is the image's key in every vector index. */
export interface ProductImage {
  key: number;
  productId: string;
  position: number;
  /** Where the catalog said the image was: a path (as written in the catalog) or an http(s) URL. */
  source: string;
  /** sha256 of the original bytes: identical bytes are analysed once. */
  sha256: string;
  width: number;
  height: number;
}

/** What a catalog reader produces for one row, before any image has been read. */
export interface ProductInput {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  currency: string | null;
  attributes: Record<string, string>;
  /** Image locations: absolute file paths or http(s) URLs. At least one. */
  images: string[];
}
