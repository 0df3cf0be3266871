/** openai adapter — being built; see the core-library issue. */
import { ProviderError } from '../../core/errors.js';
import type { ImageProvider } from '../types.js';

export const openaiProvider: ImageProvider = {
  id: 'openai',
  async run(call) {
    throw new ProviderError('the openai adapter is not built yet', { model: call.model.id, provider: 'openai' });
  },
};
