import onnxProto from 'onnx-proto';

/**
 * Small builders for ONNX graphs written from TypeScript (onnx-proto's protobufjs schema): the
 * lookup's MobileNetV2 trunk (mobilenet-trunk.ts), its correlation graph, and the tests' tiny models.
 */
const { onnx } = onnxProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

export type Dim = number | string;

export function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function floatTensor(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function node(opType: string, input: string[], output: string[], attrs: onnxProto.onnx.IAttributeProto[] = []): onnxProto.onnx.INodeProto {
  return { opType, input, output, attribute: attrs };
}

export function ints(name: string, values: number[]): onnxProto.onnx.IAttributeProto {
  return { name, ints: values, type: onnx.AttributeProto.AttributeType.INTS };
}

export function int(name: string, value: number): onnxProto.onnx.IAttributeProto {
  return { name, i: value, type: onnx.AttributeProto.AttributeType.INT };
}

/** A model of one graph at opset 13. */
export function model(graph: onnxProto.onnx.IGraphProto, producerName = 'shoplens'): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName, graph }).finish();
}
