/** The product mark and name. */
export function Logo() {
  return (
    <span className="flex items-center gap-2 text-base font-semibold tracking-tight text-slate-900">
      <img src="/favicon.svg" alt="" className="size-7" />
      webhooker
    </span>
  );
}
