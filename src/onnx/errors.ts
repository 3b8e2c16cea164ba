// The one error type of src/onnx for a model file that is malformed, hostile or over a limit: one line naming the
// tensor, node or field. Kept apart from codec.ts so peek.ts (the studio's main thread, no protobuf library) can
// throw it too; the rest of the project accepts it beside io/file-error.ts's FileFormatError.

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** The most elements one tensor of a model may claim (2^32: 16 GiB of float32, past any backbone we load). */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;
