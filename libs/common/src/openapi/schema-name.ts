/**
 * Public schema names drop the code-side role suffix: `UserResponseDto` → `User`,
 * `CreateUserDto` → `CreateUser`. One rule for every component keeps the spec readable.
 */
export function schemaName(className: string): string {
  return className.replace(/Dto$/, '').replace(/(.)Response$/, '$1');
}
