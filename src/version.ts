/** easel's version, as `easel --version` prints it and the background sandbox records it. */
export const EASEL_VERSION = '0.1.0';
