/**
 * Which optional model folders the deck can offer (e.g. the course's imported BoW model).
 * `public/models/available.json` lists them; the scripts that write a model folder
 * under public/models/ add its name. Asking the list, rather than probing each folder,
 * keeps the console free of 404s for models that are simply not there.
 */
const BASE = `${import.meta.env.BASE_URL}models/`

let list: Promise<string[]> | null = null

/**
 * @example
 * if (await modelAvailable('bow-course')) showCourseToggle()
 */
export async function modelAvailable(name: string): Promise<boolean> {
  list ??= fetch(`${BASE}available.json`)
    .then(r => (r.ok ? r.json() as Promise<string[]> : []))
    .catch(() => [])
  return (await list).includes(name)
}
