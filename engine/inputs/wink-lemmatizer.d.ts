// wink-lemmatizer ships no types; only the calls we use are declared.
declare module 'wink-lemmatizer' {
  const lemmatizer: {
    noun: (word: string) => string
    verb: (word: string) => string
    adjective: (word: string) => string
    lemmatizeNoun: (word: string) => string
    lemmatizeVerb: (word: string) => string
  }
  export default lemmatizer
}
