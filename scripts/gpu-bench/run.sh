#!/bin/sh
# The GPU benchmark's entry on the GPU machine (unpacked from vp-gpu-bench.tar.gz): makes Vulkan usable for
# onnxruntime-node's WebGPU EP (Dawn) — the carried loader when the system has none, the NVIDIA driver's ICD
# file, or one written for the driver's libGLX_nvidia.so.0 when the driver ships none — then runs bench.mjs with
# the carried Node. Arguments go to bench.mjs (see README.md); `./run.sh --ep cpu …` is the dry run.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
# VP_VULKAN=carried uses the carried loader even where the system has one (the dry run checks it that way)
if [ "${VP_VULKAN:-}" = carried ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  export LD_LIBRARY_PATH="$HERE/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "vulkan: using the carried loader from $(ls "$HERE"/vulkan/*.deb 2>/dev/null | xargs -n1 basename 2>/dev/null)" >&2
fi
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    if [ -f "$f" ]; then export VK_ICD_FILENAMES="$f"; break; fi
  done
fi
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 /{print $NF; exit}')
  [ -n "$glx" ] || glx=$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 /usr/lib/libGLX_nvidia.so.0 2>/dev/null | head -n1 || true)
  if [ -n "$glx" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$HERE/nvidia_icd.json"
    export VK_ICD_FILENAMES="$HERE/nvidia_icd.json"
    echo "vulkan: the driver has no ICD file; wrote one for $glx" >&2
  fi
fi
echo "vulkan: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-(the loader's default search)}" >&2
exec "$HERE/bin/node" "$HERE/bench.mjs" "$@"
