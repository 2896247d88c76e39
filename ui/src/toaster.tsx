// The screen's own toasts (Run Job, saves, deletes), drawn with the host's Chakra theme.
import { Link, Portal, Stack, Toast, Toaster, createToaster } from "@chakra-ui/react";

export const toaster = createToaster({ placement: "bottom-end", pauseOnPageIdle: true });

export interface ToastLink {
  href: string;
  label: string;
}

export function notify(
  type: "success" | "error" | "info",
  title: string,
  description?: string,
  link?: ToastLink,
): void {
  toaster.create({ type, title, description, meta: link ? { link } : undefined, duration: 8000 });
}

export function ScreenToaster() {
  return (
    <Portal>
      <Toaster toaster={toaster}>
        {(toast) => {
          const link = (toast.meta as { link?: ToastLink } | undefined)?.link;
          return (
            <Toast.Root width="sm" data-testid="toast">
              <Toast.Indicator />
              <Stack gap="1" flex="1" maxWidth="100%">
                {toast.title && <Toast.Title>{toast.title}</Toast.Title>}
                {toast.description && <Toast.Description>{toast.description}</Toast.Description>}
                {link && (
                  <Link href={link.href} fontWeight="semibold" textDecoration="underline">
                    {link.label}
                  </Link>
                )}
              </Stack>
              <Toast.CloseTrigger aria-label="Close" />
            </Toast.Root>
          );
        }}
      </Toaster>
    </Portal>
  );
}
