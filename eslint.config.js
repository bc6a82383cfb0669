import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Control characters are this project's subject matter (JWE plaintext repair).
      'no-control-regex': 'off',
    },
  },
  {
    // The web app's one browser script (src/ui/static): the browser's globals.
    files: ['src/ui/static/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'document',
          'fetch',
          'FormData',
          'EventSource',
          'location',
          'confirm',
          'alert',
          'history',
          'window',
          'CSS',
          'CustomEvent',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
