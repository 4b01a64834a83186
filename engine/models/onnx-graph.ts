/**
 * A small ONNX graph builder on `onnx-proto`'s protobuf classes: named float32 / int64
 * initializers, nodes with INT / INTS / FLOAT attributes, and typed value infos. Used to
 * generate GPT-2 graphs (`gpt2-attribution-graph.ts`, and the test fixtures in
 * `scripts/fixtures/gpt2-onnx.ts`).
 */
import onnxProto from 'onnx-proto'

export const { onnx } = onnxProto
export const F32 = onnx.TensorProto.DataType.FLOAT
export const I64 = onnx.TensorProto.DataType.INT64
export const BOOL = onnx.TensorProto.DataType.BOOL

/** A dimension: a fixed size or a symbolic name such as 'batch_size'. */
export type Dim = number | string

/**
 * A typed graph input or output.
 *
 * @example
 * valueInfo('input_ids', I64, ['batch_size', 'sequence_length'])
 */
export function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map(d => typeof d === 'number'
            ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
            : onnx.TensorShapeProto.Dimension.create({ dimParam: d })),
        }),
      }),
    }),
  })
}

/** Attribute names whose numbers are FLOAT even when they happen to be integers. */
const FLOAT_ATTRS = new Set(['epsilon', 'alpha', 'beta'])

/**
 * Collects nodes and initializers; `op` returns its (first) output's name, so a graph
 * reads as nested calls.
 *
 * @example
 * const g = new GraphBuilder()
 * const y = g.op('Add', ['x', g.scalar(1)])
 */
export class GraphBuilder {
  nodes: onnxProto.onnx.INodeProto[] = []
  inits: onnxProto.onnx.ITensorProto[] = []
  private n = 0

  /** A new unique value name (for nodes with several outputs). */
  fresh(prefix: string): string {
    return `${prefix}_${this.n++}`
  }

  /** A float32 initializer viewing `data` (no copy until the model is encoded). */
  f32(name: string, dims: number[], data: Float32Array): string {
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType: F32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }))
    return name
  }

  /**
   * A float32 initializer whose bytes stay in another file (ONNX external data): `length`
   * bytes at `offset` of `location`, a name relative to the model's folder.
   */
  external(name: string, dims: number[], location: string, offset: number, length: number): string {
    this.inits.push(onnx.TensorProto.create({
      name,
      dims,
      dataType: F32,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        onnx.StringStringEntryProto.create({ key: 'location', value: location }),
        onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
        onnx.StringStringEntryProto.create({ key: 'length', value: String(length) }),
      ],
    }))
    return name
  }

  /** An int64 initializer; a fresh name unless `name` is given (e.g. an input's default). */
  i64(values: number[], dims: number[] = [values.length], name = `const_i64_${this.n++}`): string {
    const buf = new BigInt64Array(values.map(v => BigInt(v)))
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType: I64, rawData: new Uint8Array(buf.buffer) }))
    return name
  }

  /** A float32 scalar initializer. */
  scalar(value: number): string {
    const name = `const_f32_${this.n++}`
    this.inits.push(onnx.TensorProto.create({ name, dims: [], dataType: F32, rawData: new Uint8Array(Float32Array.of(value).buffer) }))
    return name
  }

  op(opType: string, inputs: string[], attrs: Record<string, number | number[]> = {}, outputs?: string[]): string {
    const outs = outputs ?? [`${opType.toLowerCase()}_${this.n++}`]
    const attribute = Object.entries(attrs).map(([name, v]) => Array.isArray(v)
      ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
      : Number.isInteger(v) && !FLOAT_ATTRS.has(name)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
        : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }))
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outs, name: `${opType}_${this.n++}`, attribute }))
    return outs[0]
  }

  /**
   * Encodes the graph as a model.
   *
   * @example
   * const bytes = g.encode('gpt2', inputs, outputs, 14)
   */
  encode(name: string, input: onnxProto.onnx.IValueInfoProto[], output: onnxProto.onnx.IValueInfoProto[], opset: number, producerName = 'explain-llm-live'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: opset })],
      graph: onnx.GraphProto.create({ name, node: this.nodes, initializer: this.inits, input, output }),
    })
    return onnx.ModelProto.encode(model).finish()
  }
}
