/**
 * cli/lib/imageRef.ts: the image reference `npm run push` prints (the repository path in the
 * cluster's registry).
 */
import { describe, expect, it } from "vitest";
import { repositoryPath } from "../../cli/lib/imageRef";

describe("the reference npm run push prints", () => {
  it.each([
    ["myapp", "myapp:latest"],
    ["myapp:1.0", "myapp:1.0"],
    ["team/app", "team/app:latest"],
    ["registry.example:5000/team/app:1", "team/app:1"],
    ["localhost/app", "app:latest"],
    ["ghcr.io/org/app@sha256:abc", "org/app@sha256:abc"],
  ])("the repository path of %s is %s", (image, path) => {
    expect(repositoryPath(image)).toBe(path);
  });
});
