import { z } from "zod";

/** The account forms; better-auth enforces the same password bounds on the server. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export const signUpInput = z.object({
  name: z.string().trim().min(1, "Your name is required").max(80),
  email: z.email("Enter a valid email address"),
  password: z.string().min(PASSWORD_MIN, `At least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX),
});
export type SignUpInput = z.infer<typeof signUpInput>;

export const signInInput = z.object({
  email: z.email("Enter a valid email address"),
  password: z.string().min(1, "Enter your password"),
});
export type SignInInput = z.infer<typeof signInInput>;
