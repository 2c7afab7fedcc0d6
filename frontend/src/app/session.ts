/** Who is signed in (GET /api/auth/me/), login and logout, as TanStack Query hooks. */
import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "./context";

export type User = Schemas["UserOutput"];

export const ME_KEY = ["me"] as const;

export function useMe() {
  const { http } = useServices();
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async () => (await unwrap(http.GET("/api/auth/me/"))).user,
    staleTime: 60_000,
  });
}

export function useLogin() {
  const { http } = useServices();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { username: string; password: string }) => unwrap(http.POST("/api/auth/login/", { body })),
    onSuccess: (user) => {
      forgetOtherUsersData(queryClient);
      queryClient.setQueryData(ME_KEY, user);
    },
  });
}

export function useLogout() {
  const { http } = useServices();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(http.POST("/api/auth/logout/")),
    onSettled: () => {
      forgetOtherUsersData(queryClient);
      queryClient.setQueryData(ME_KEY, null);
    },
  });
}

/** Drop every cached answer but the session query (whose observer stays subscribed to it). */
function forgetOtherUsersData(queryClient: QueryClient): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
}

/** Roles that see each area (the server decides what each endpoint returns). */
export function hasRole(user: User | null | undefined, ...roles: string[]): boolean {
  if (!user) return false;
  return user.roles.includes("admin") || roles.some((role) => user.roles.includes(role));
}
