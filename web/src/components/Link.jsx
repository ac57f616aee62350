// web/src/components/Link: an anchor that changes the page without reloading (plain clicks
// only; a new tab or window still gets the real URL, which mamorid serves as the console).
import { useNavigation } from '../routes.js';

export function Link({ href, children, ...rest }) {
  const { navigate } = useNavigation();
  const onClick = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
