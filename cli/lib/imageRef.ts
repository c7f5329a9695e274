/** Image references as the registry helpers need them. */

/** `registry.example:5000/team/app:1` -> `team/app:1`: the repository path without a registry host, `:latest` when untagged. */
export function repositoryPath(image: string): string {
  const [first, ...rest] = image.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const repo = hasRegistry ? rest.join("/") : image;
  return repo.includes(":") || repo.includes("@") ? repo : `${repo}:latest`;
}
