import antfu from '@antfu/eslint-config'

export default antfu({
  vue: true,
  typescript: true,
  // Markdown code blocks in slides.md are Captum Python and shell, not our code.
  markdown: false,
  ignores: ['dist/**', 'public/**', 'test-results/**', 'playwright-report/**', '.slidev/**', '**/*.md'],
}, {
  rules: {
    'no-console': 'off',
    'node/prefer-global/process': 'off',
    'node/prefer-global/buffer': 'off',
    'ts/no-use-before-define': 'off',
    'antfu/no-top-level-await': 'off',
    'unused-imports/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
  },
})
