import { z } from "zod";

/** What the API puts in `error.data.issues` for bad input: one entry per problem, path + message. */
export const inputIssue = z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() });
export type InputIssue = z.infer<typeof inputIssue>;
