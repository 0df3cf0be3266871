/**
 * Reads a TensorFlow.js model (`model.json` + weight shards) from a folder on disk. UpscalerJS's
 * own loader fetches the same files from a public CDN, which fails offline and pulls weights
 * from the network that already sit in node_modules.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';

export function modelFromFolder(tf: typeof tfjs, folder: string): tfjs.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as tfjs.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((path) => readShard(join(folder, path))));
        return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(shards)];
      });
    },
  };
}

async function readShard(file: string): Promise<ArrayBuffer> {
  const bytes = await readFile(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
