// The UI's words in English and Korean. The language is the browser's first preferred
// one that we have (navigator.languages); the API is asked for the same language
// (Accept-Language), so its messages match the page.

const en = {
  title: 'authgate',
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  signInHeading: 'Sign in',
  createAccount: 'Create account',
  createAccountHeading: 'Create an account',
  needAccount: 'No account yet?',
  haveAccount: 'Already have an account?',
  toRegister: 'Register',
  toSignIn: 'Go to sign-in',
  passwordHint: '8 to 1024 characters.',
  plans: 'Plans',
  sessions: 'Sessions',
  newPlan: 'New plan',
  addPlan: 'Add plan',
  noPlans: 'No plans yet. Add one above.',
  markDone: (title) => `Mark “${title}” done`,
  deletePlan: 'Delete',
  deletePlanNamed: (title) => `Delete “${title}”`,
  signOut: 'Sign out',
  signOutEverywhere: 'Sign out everywhere',
  signedInAs: (email) => `Signed in as ${email}`,
  sessionsIntro: 'Devices and browsers signed in to your account.',
  thisDevice: 'This browser',
  unknownAgent: 'Unknown browser',
  created: 'Signed in',
  lastUsed: 'Last active',
  revoke: 'Revoke',
  revokeNamed: (agent) => `Revoke session of ${agent}`,
  loading: 'Loading…',
  expired: 'Your session has expired. Please sign in again.',
  revoked: 'You have been signed out. Please sign in again.',
  registered: 'Account created.',
  errors: {
    invalid_credentials: 'Wrong email or password.',
    email_taken: 'An account with this email already exists. Sign in instead?',
    account_disabled: 'This account is disabled.',
    too_many_attempts: (seconds) =>
      `Too many attempts. Try again in ${Math.max(1, Math.ceil(seconds / 60))} minute(s).`,
    badEmail: 'Enter a valid email address, like name@example.com.',
    badPassword: 'The password must be 8 to 1024 characters long.',
    noPassword: 'Enter your password.',
    badCredentials: 'Check the email address and the password (8 to 1024 characters).',
    badTitle: 'A plan needs a title of at most 500 characters.',
    not_found: 'That item no longer exists. The list has been refreshed.',
    network: 'Cannot reach the server. Check the connection and try again.',
    unknown: (detail) => `Something went wrong: ${detail}`,
  },
};

const ko = {
  title: 'authgate',
  email: '이메일',
  password: '비밀번호',
  signIn: '로그인',
  signInHeading: '로그인',
  createAccount: '계정 만들기',
  createAccountHeading: '계정 만들기',
  needAccount: '아직 계정이 없으신가요?',
  haveAccount: '이미 계정이 있으신가요?',
  toRegister: '가입하기',
  toSignIn: '로그인 화면으로',
  passwordHint: '8자 이상 1024자 이하.',
  plans: '계획',
  sessions: '세션',
  newPlan: '새 계획',
  addPlan: '계획 추가',
  noPlans: '아직 계획이 없습니다. 위에서 추가하세요.',
  markDone: (title) => `“${title}” 완료로 표시`,
  deletePlan: '삭제',
  deletePlanNamed: (title) => `“${title}” 삭제`,
  signOut: '로그아웃',
  signOutEverywhere: '모든 기기에서 로그아웃',
  signedInAs: (email) => `${email} 계정으로 로그인됨`,
  sessionsIntro: '이 계정에 로그인된 기기와 브라우저입니다.',
  thisDevice: '현재 브라우저',
  unknownAgent: '알 수 없는 브라우저',
  created: '로그인',
  lastUsed: '최근 사용',
  revoke: '종료',
  revokeNamed: (agent) => `${agent} 세션 종료`,
  loading: '불러오는 중…',
  expired: '세션이 만료됐습니다. 다시 로그인하세요.',
  revoked: '로그아웃됐습니다. 다시 로그인하세요.',
  registered: '계정이 만들어졌습니다.',
  errors: {
    invalid_credentials: '이메일 또는 비밀번호가 틀렸습니다.',
    email_taken: '이미 가입된 이메일입니다. 로그인하시겠어요?',
    account_disabled: '비활성화된 계정입니다.',
    too_many_attempts: (seconds) =>
      `시도 횟수가 너무 많습니다. ${Math.max(1, Math.ceil(seconds / 60))}분 후에 다시 시도하세요.`,
    badEmail: '올바른 이메일 주소를 입력하세요 (예: name@example.com).',
    badPassword: '비밀번호는 8자 이상 1024자 이하여야 합니다.',
    noPassword: '비밀번호를 입력하세요.',
    badCredentials: '이메일 주소와 비밀번호(8자 이상 1024자 이하)를 확인하세요.',
    badTitle: '계획 제목은 500자 이하로 입력하세요.',
    not_found: '이미 없는 항목입니다. 목록을 새로 고쳤습니다.',
    network: '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.',
    unknown: (detail) => `문제가 발생했습니다: ${detail}`,
  },
};

export const DICTIONARIES = { en, ko };

/** The first of the browser's preferred languages that the UI has, else English. */
export function pickLanguage(preferred) {
  for (const tag of preferred ?? []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in DICTIONARIES) return base;
  }
  return 'en';
}

export function browserLanguage() {
  const nav = globalThis.navigator;
  return pickLanguage(nav?.languages?.length ? nav.languages : [nav?.language]);
}
